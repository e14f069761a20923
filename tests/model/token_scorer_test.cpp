// score_next_tokens (vocabulary tiles, online log-sum-exp) against score_token on full logits.
#include "model/token_scorer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "io/random_checkpoint.h"
#include "test_support.h"

namespace qs {
namespace {

// Rows past one 2048-row pass and a vocabulary of several tiles, fp32 (zero-copy lm_head) and
// bf16 (widened tile by tile): |Δ logprob| <= 1e-6 and the same argmax decisions.
TEST(TokenScorer, MatchesFullLogitsAcrossRowPassesAndVocabularyTiles) {
  for (DType dtype : {DType::F32, DType::BF16}) {
    const std::string name(dtype_name(dtype));
    test::ScratchDir dir("scorer_" + name);
    const TinyShape shape{.d_model = 64, .vocab_size = 6000};
    write_random_checkpoint(dir.path(), tiny_config_json("LlamaForCausalLM", shape), {.dtype = dtype, .seed = 9});
    auto model = Transformer::load(dir.path());
    const int64_t n = 2100, d = model->config().d_model, vocab = model->config().vocab_size;
    ASSERT_GT(vocab, kScorerLogitFloats / n);  // more than one vocabulary tile per pass
    std::mt19937 rng(4);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    std::vector<float> hidden(static_cast<size_t>(n * d));
    for (float& x : hidden) x = normal(rng);
    std::vector<int32_t> targets(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) targets[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7919) % vocab);
    std::vector<float> logits(static_cast<size_t>(n * vocab));
    model->logits(hidden.data(), n, logits.data());
    // Every 50th row targets its own argmax, so both answers of is_argmax are exercised.
    for (int64_t i = 0; i < n; i += 50) targets[static_cast<size_t>(i)] = argmax(logits.data() + i * vocab, vocab);

    const auto scores = score_next_tokens(*model, hidden.data(), n, targets.data());
    ASSERT_EQ(static_cast<int64_t>(scores.size()), n);
    double worst = 0;
    int64_t greedy = 0;
    for (int64_t i = 0; i < n; ++i) {
      const TokenScore full = score_token(logits.data() + i * vocab, vocab, targets[static_cast<size_t>(i)]);
      worst = std::max(worst, std::abs(scores[static_cast<size_t>(i)].logprob - full.logprob));
      EXPECT_EQ(scores[static_cast<size_t>(i)].is_argmax, full.is_argmax) << "row " << i;
      greedy += full.is_argmax;
    }
    std::printf("[scorer] %s: worst |dlogprob| = %.2e over %lld rows, %lld greedy\n", name.c_str(), worst,
                static_cast<long long>(n), static_cast<long long>(greedy));
    EXPECT_LE(worst, 1e-6);
    EXPECT_GE(greedy, 42);
  }
}

// All logits equal (zero hidden state): every entry ties, the first is the argmax (torch.argmax)
// and each log-probability is exactly -log(vocab) up to rounding.
TEST(TokenScorer, TiesGoToTheFirstEntryAndBadTargetsAreErrors) {
  test::ScratchDir dir("scorer_ties");
  write_random_checkpoint(dir.path(), tiny_config_json("Qwen3ForCausalLM", {.vocab_size = 5000}), {.seed = 2});
  auto model = Transformer::load(dir.path());
  const int64_t d = model->config().d_model, vocab = model->config().vocab_size;
  const std::vector<float> hidden(static_cast<size_t>(3 * d), 0.0f);
  const std::vector<int32_t> targets{0, 1, static_cast<int32_t>(vocab - 1)};
  const auto scores = score_next_tokens(*model, hidden.data(), 3, targets.data());
  EXPECT_TRUE(scores[0].is_argmax);
  EXPECT_FALSE(scores[1].is_argmax);
  EXPECT_FALSE(scores[2].is_argmax);
  for (const TokenScore& s : scores) EXPECT_NEAR(s.logprob, -std::log(static_cast<double>(vocab)), 1e-9);
  const std::vector<int32_t> bad{static_cast<int32_t>(vocab)};
  EXPECT_THROW(score_next_tokens(*model, hidden.data(), 1, bad.data()), Error);
}

}  // namespace
}  // namespace qs
