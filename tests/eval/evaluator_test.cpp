// Harness logic on a deterministic fake model: tokenization as lm-eval's HF backend, batching
// that keeps a document's shared context together, metrics and the stratum summary, results JSON.
#include <gtest/gtest.h>

#include <cmath>

#include "eval/evaluator.h"
#include "eval/task_registry.h"
#include "eval/fake_model.h"
#include "eval/request_tokens.h"
#include "test_support.h"

namespace qs {
namespace {

using qs::test::FakeModel;
using qs::test::FakeTokenizer;

TEST(EvalRequestTokens, TrailingSpaceMovesToContinuationAndWholeEncodingIsSplit) {
  FakeTokenizer tokenizer;
  // "Answer: cat": encoded whole, " c" merges into one token across the boundary.
  TokenizedPair pair = encode_pair(tokenizer, "Answer:", " cat", true, 4096);
  auto whole = tokenizer.encode("Answer: cat");
  ASSERT_EQ(pair.context, tokenizer.encode("Answer:"));
  EXPECT_EQ(pair.context.front(), 1);  // BOS
  EXPECT_EQ(pair.continuation, std::vector<int32_t>(whole.begin() + static_cast<long>(pair.context.size()), whole.end()));
  // Trailing space of the context joins the continuation (else " c" could never merge).
  TokenizedPair moved = encode_pair(tokenizer, "Answer: ", "cat", true, 4096);
  EXPECT_EQ(moved.context, pair.context);
  EXPECT_EQ(moved.continuation, pair.continuation);
  // Encoding the continuation alone would differ from the lm-eval split.
  EXPECT_NE(tokenizer.encode("cat", false), moved.continuation);
  // No BOS with the older convention.
  EXPECT_EQ(encode_pair(tokenizer, "Answer:", " cat", false, 4096).context.front(), 'A' + 3);
  // An empty continuation stays empty (the evaluator reports it).
  EXPECT_TRUE(encode_pair(tokenizer, "Answer: ", "", true, 4096).continuation.size() == 1);
  EXPECT_TRUE(encode_pair(tokenizer, "Answer:", "", true, 4096).continuation.empty());
  // Left truncation keeps the last max_context + 1 - len(continuation) context tokens.
  TokenizedPair cut = encode_pair(tokenizer, "0123456789", "xy", true, 6);
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(cut.context.size() + cut.continuation.size(), 7u);
  EXPECT_EQ(cut.context.back(), '9' + 3);
}

TEST(EvalRequestTokens, RollingWindowsPredictEveryTokenOnce) {
  std::vector<int32_t> tokens;
  for (int i = 0; i < 23; ++i) tokens.push_back(100 + i);
  auto windows = rolling_windows(tokens, 1, 8);
  std::vector<int32_t> predicted;
  for (const auto& w : windows) {
    EXPECT_LE(w.context_tokens.size() + w.continuation_tokens.size() - 1, 8u);
    predicted.insert(predicted.end(), w.continuation_tokens.begin(), w.continuation_tokens.end());
  }
  EXPECT_EQ(predicted, tokens);
  EXPECT_EQ(windows[0].context_tokens, std::vector<int32_t>{1});
  // Later windows see exactly the max_context tokens before their last prediction.
  EXPECT_EQ(windows[1].context_tokens.size() + windows[1].continuation_tokens.size(), 9u);
}

EvalOptions fake_options(const std::string& tasks, int64_t limit) {
  EvalOptions options;
  options.tasks = split_task_list(tasks);
  options.limit = limit;
  options.progress = false;
  options.log_samples = true;
  options.bootstrap_iters = 1000;
  options.data_dir = qs::test::shared_file("benchmarks");
  return options;
}

TEST(EvalHarness, MultipleChoiceScoresAndBatchesByDocument) {
  FakeModel model;
  EvalOptions options = fake_options("arc_easy,copa", 7);
  options.batch_size = 3;
  EvalResults results = run_evaluation(model, options);
  ASSERT_EQ(results.tasks.size(), 2u);
  const TaskResult& arc = results.tasks[0];
  EXPECT_EQ(arc.n_docs, 7);
  EXPECT_EQ(arc.n_requests, 28);  // 4 choices x 7 docs, lm-eval's count
  // Batches never split a document: with 4 choices per doc every batch is a multiple of 4.
  for (size_t i = 0; i < model.batch_sizes.size() && i < 2; ++i) EXPECT_EQ(model.batch_sizes[i] % 4, 0u);
  // Recompute acc / acc_norm from the logged requests with the fake model's formula.
  double acc = 0, acc_norm = 0;
  for (const auto& sample : arc.samples) {
    std::vector<double> lls, norm;
    for (const auto& request : sample["requests"]) {
      LoglikelihoodRequest r{request["context_tokens"].get<std::vector<int32_t>>(), request["continuation_tokens"].get<std::vector<int32_t>>()};
      double ll = FakeModel::expected(r).logprob;
      EXPECT_DOUBLE_EQ(request["logprob"].get<double>(), ll);
      lls.push_back(ll);
      std::string choice = request["continuation"].get<std::string>().substr(1);  // without the target delimiter
      norm.push_back(ll / static_cast<double>(choice.size()));
    }
    int gold = sample["gold"].get<int>();
    acc += (std::max_element(lls.begin(), lls.end()) - lls.begin()) == gold ? 1 : 0;
    acc_norm += (std::max_element(norm.begin(), norm.end()) - norm.begin()) == gold ? 1 : 0;
  }
  double n = 7.0;
  const MetricResult* acc_metric = nullptr;
  for (const auto& m : arc.metrics)
    if (m.key == "acc,none") acc_metric = &m;
  ASSERT_NE(acc_metric, nullptr);
  EXPECT_DOUBLE_EQ(acc_metric->value, acc / n);
  EXPECT_DOUBLE_EQ(arc.acc, acc_norm / n);  // arc's primary metric is acc_norm
  double p = acc / n;
  EXPECT_NEAR(*acc_metric->stderr_value, std::sqrt(p * (1 - p) * n / (n - 1) / n), 1e-12);
}

TEST(EvalHarness, StrataSummaryAdjustsForChance) {
  std::vector<TaskResult> tasks(3);
  tasks[0] = TaskResult{};
  tasks[0].name = "a"; tasks[0].stratum = "L2"; tasks[0].acc = 0.4; tasks[0].acc_stderr = 0.02; tasks[0].chance = 0.25;
  tasks[1].name = "b"; tasks[1].stratum = "L2"; tasks[1].acc = 0.7; tasks[1].acc_stderr = 0.04; tasks[1].chance = 0.5;
  tasks[2].name = "c"; tasks[2].stratum = "L1"; tasks[2].acc = 0.1; tasks[2].acc_stderr = 0.01; tasks[2].chance = 0.0;
  auto strata = summarize_strata(tasks);
  ASSERT_EQ(strata.size(), 2u);
  EXPECT_EQ(strata[0].stratum, "L2");
  EXPECT_NEAR(strata[0].acc, 0.55, 1e-12);
  EXPECT_NEAR(strata[0].acc_adj, ((0.4 - 0.25) / 0.75 + (0.7 - 0.5) / 0.5) / 2, 1e-12);
  EXPECT_NEAR(strata[0].acc_adj_stderr, std::sqrt(std::pow(0.02 / 0.75, 2) + std::pow(0.04 / 0.5, 2)) / 2, 1e-12);
  EXPECT_NEAR(strata[0].acc_stderr, std::sqrt(0.02 * 0.02 + 0.04 * 0.04) / 2, 1e-12);
  EXPECT_NEAR(strata[1].acc_adj, 0.1, 1e-12);
}

TEST(EvalHarness, GenerationStopsAtStopStringsAndScoresFilters) {
  FakeModel model;
  model.script = " 42.\nQuestion: next";
  EvalOptions options = fake_options("gsm8k,triviaqa_sm_sub", 2);
  options.shots = 0;
  EvalResults results = run_evaluation(model, options);
  const TaskResult& gsm = results.tasks[0];
  ASSERT_EQ(gsm.samples.size(), 2u);
  // gsm8k stops at "Question:" and keeps the text before it.
  EXPECT_EQ(gsm.samples[0]["requests"][0]["generation"].get<std::string>(), " 42.\n");
  auto generated = gsm.samples[0]["requests"][0]["generated_tokens"].get<std::vector<int32_t>>();
  EXPECT_EQ(FakeTokenizer().decode(generated, true), " 42.\nQuestion:");  // stopped right after the stop string
  // triviaqa stops at "." -> " 42" -> filter strips -> "42".
  const TaskResult& trivia = results.tasks[1];
  EXPECT_EQ(trivia.samples[0]["requests"][0]["generation"].get<std::string>(), " 42");
  bool has_strict = false, has_flexible = false;
  for (const auto& m : gsm.metrics) {
    has_strict |= m.key == "exact_match,strict-match";
    has_flexible |= m.key == "exact_match,flexible-extract";
  }
  EXPECT_TRUE(has_strict && has_flexible);
}

TEST(EvalHarness, ResultsJsonHasLmEvalShapeAndStrata) {
  FakeModel model;
  EvalOptions options = fake_options("lambada_openai,mmlu", 2);
  options.model_info = {{"path", "fake"}};
  EvalResults results = run_evaluation(model, options);
  nlohmann::json json = results.to_json();
  for (const char* key : {"results", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config", "strata"})
    EXPECT_TRUE(json.contains(key)) << key;
  EXPECT_TRUE(json["results"]["lambada_openai"].contains("perplexity,none"));
  EXPECT_TRUE(json["results"]["lambada_openai"].contains("perplexity_stderr,none"));
  EXPECT_TRUE(json["results"]["mmlu"].contains("acc_stderr,none"));
  EXPECT_TRUE(json["results"].contains("mmlu_abstract_algebra"));
  EXPECT_EQ(json["n-samples"]["mmlu"]["effective"].get<int64_t>(), 57 * 2);  // --limit applies per subject
  EXPECT_EQ(json["n-shot"]["mmlu"].get<int>(), 0);
  EXPECT_TRUE(json["strata"].contains("L1") && json["strata"].contains("L2"));
  EXPECT_EQ(json["config"]["add_bos_token"].get<bool>(), true);
  EXPECT_NE(results.table().find("lambada_openai"), std::string::npos);
}

}  // namespace
}  // namespace qs
