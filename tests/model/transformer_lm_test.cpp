// loglikelihood / generate_until / perplexity against the float64 torch reference.
#include "model/transformer_lm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/random_checkpoint.h"
#include "model/perplexity.h"
#include "model/reference_support.h"
#include "test_support.h"

namespace qs {
namespace {

// log_softmax(reference logits row)[target] and whether target is the row's first argmax.
std::pair<double, bool> reference_score(const double* row, int64_t vocab, int32_t target) {
  double max_value = row[0];
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (row[i] > max_value) max_value = row[i], best = i;
  double sum = 0;
  for (int64_t i = 0; i < vocab; ++i) sum += std::exp(row[i] - max_value);
  return {row[target] - max_value - std::log(sum), best == target};
}

TEST(TransformerLM, LoglikelihoodMatchesReferenceAndSharesContexts) {
  test::ScratchDir dir("lm_loglikelihood");
  write_random_checkpoint(dir.path(), tiny_config_json("Qwen3ForCausalLM"), {.seed = 21});
  TransformerLM lm(Transformer::load(dir.path()), nullptr, {.max_batch_tokens = 64});
  const int64_t vocab = lm.model().config().vocab_size;
  const auto ctx_a = test::random_tokens(30, vocab, 1), ctx_b = test::random_tokens(3, vocab, 2),
             ctx_c = test::random_tokens(90, vocab, 3);
  // A continuation equal to the model's own greedy output must come back is_greedy.
  GenerationRequest greedy_request{ctx_b, 4, {}};
  const auto greedy = lm.generate_until({greedy_request})[0];
  ASSERT_EQ(greedy.size(), 4u);
  std::vector<LoglikelihoodRequest> requests{{ctx_a, test::random_tokens(1, vocab, 4)},
                                             {ctx_c, test::random_tokens(5, vocab, 5)},
                                             {ctx_a, test::random_tokens(4, vocab, 6)},
                                             {ctx_b, greedy},
                                             {ctx_a, test::random_tokens(6, vocab, 7)}};
  const auto results = lm.loglikelihood(requests);
  ASSERT_EQ(results.size(), requests.size());

  std::vector<std::vector<int32_t>> full;
  for (const auto& r : requests) {
    full.push_back(r.context_tokens);
    full.back().insert(full.back().end(), r.continuation_tokens.begin(), r.continuation_tokens.end());
  }
  const std::vector<double> reference = test::reference_logits(dir.path(), full, dir.path());
  size_t row0 = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    double logprob = 0;
    bool is_greedy = true;
    const size_t ctx = requests[i].context_tokens.size();
    for (size_t j = 0; j < requests[i].continuation_tokens.size(); ++j) {
      auto [lp, best] = reference_score(reference.data() + (row0 + ctx + j - 1) * vocab, vocab,
                                        requests[i].continuation_tokens[j]);
      logprob += lp;
      is_greedy = is_greedy && best;
    }
    EXPECT_NEAR(results[i].logprob, logprob, 1e-4 * (1 + std::abs(logprob))) << i;
    EXPECT_EQ(results[i].is_greedy, is_greedy) << i;
    row0 += full[i].size();
  }
  EXPECT_TRUE(results[3].is_greedy);
}

TEST(TransformerLM, TruncatesFromTheLeftAsLmEval) {
  test::ScratchDir dir("lm_truncate");
  write_random_checkpoint(dir.path(), tiny_config_json("LlamaForCausalLM"), {.seed = 22});
  TransformerLM small(Transformer::load(dir.path()), nullptr, {.max_context = 16});
  TransformerLM large(Transformer::load(dir.path()), nullptr);
  const auto ctx = test::random_tokens(30, 256, 8), cont = test::random_tokens(4, 256, 9);
  // (ctx + cont)[-(16 + 1):] keeps the last 13 context tokens.
  const std::vector<int32_t> kept(ctx.end() - 13, ctx.end());
  EXPECT_NEAR(small.loglikelihood({{ctx, cont}})[0].logprob, large.loglikelihood({{kept, cont}})[0].logprob, 1e-6);
  EXPECT_THROW(small.loglikelihood({{ctx, test::random_tokens(17, 256, 1)}}), Error);
  EXPECT_THROW(small.loglikelihood({{{}, cont}}), Error);
  EXPECT_THROW(small.loglikelihood({{ctx, {}}}), Error);
  EXPECT_THROW(small.tokenizer(), Error);
}

TEST(TransformerLM, GreedyGenerationMatchesUncachedArgmaxAndStops) {
  test::ScratchDir dir("lm_generate");
  write_random_checkpoint(dir.path(), tiny_config_json("GPTNeoXForCausalLM"), {.seed = 23});
  TransformerLM lm(Transformer::load(dir.path()), nullptr, {.max_generation_batch = 2});
  const int64_t vocab = lm.model().config().vocab_size;
  std::vector<GenerationRequest> requests{{test::random_tokens(5, vocab, 1), 6, {}},
                                          {test::random_tokens(17, vocab, 2), 8, {}},
                                          {test::random_tokens(9, vocab, 3), 20,
                                           [](const std::vector<int32_t>& generated) { return generated.size() == 3; }}};
  const auto outputs = lm.generate_until(requests);
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_EQ(outputs[2].size(), 3u);  // should_stop
  for (size_t i = 0; i < 2; ++i) {
    // Without a cache: the whole sequence again for every new token.
    std::vector<int32_t> sequence = requests[i].context_tokens;
    std::vector<int32_t> expected;
    for (int step = 0; step < requests[i].max_new_tokens; ++step) {
      const std::vector<float> logits = test::batch_logits(lm.model(), {sequence});
      const float* last = logits.data() + (sequence.size() - 1) * vocab;
      const auto next = static_cast<int32_t>(std::max_element(last, last + vocab) - last);
      expected.push_back(next);
      sequence.push_back(next);
      if (lm.eos_ids().count(next)) break;
    }
    EXPECT_EQ(outputs[i], expected) << i;
  }
}

TEST(Perplexity, MatchesTheReferenceForStridedAndDisjointWindows) {
  test::ScratchDir dir("ppl_reference");
  write_random_checkpoint(dir.path(), tiny_config_json("Qwen2ForCausalLM"), {.seed = 24});
  auto model = Transformer::load(dir.path());
  const auto tokens = test::random_tokens(300, model->config().vocab_size, 31);
  write_file_atomic(dir.file("ids.json"), nlohmann::json(tokens).dump());
  for (auto [ctx, stride] : {std::pair<int64_t, int64_t>{64, 64}, {64, 24}, {100, 100}}) {
    const PerplexityResult ours = strided_perplexity(*model, tokens, ctx, stride, 150);
    test::CommandResult ref = test::run_reference(
        "torch_forward.py", dir.path() + " ppl " + dir.file("ids.json") + " " + std::to_string(ctx) + " " + std::to_string(stride));
    ASSERT_EQ(ref.exit_code, 0) << ref.output;
    const auto expected = nlohmann::json::parse(ref.output.substr(ref.output.find('{')));
    EXPECT_EQ(ours.n_scored, expected["n_scored"].get<int64_t>());
    // Every token but the first of each disjoint window; with overlap, every token but the first.
    EXPECT_EQ(ours.n_scored, stride == ctx ? 300 - ours.n_windows : 299);
    EXPECT_NEAR(ours.ppl() / expected["ppl"].get<double>(), 1.0, 1e-5) << ctx << "/" << stride;
  }
  EXPECT_THROW(strided_perplexity(*model, std::vector<int32_t>{1}, 64, 64), Error);
  EXPECT_THROW(strided_perplexity(*model, tokens, 64, 65), Error);
}

}  // namespace
}  // namespace qs
