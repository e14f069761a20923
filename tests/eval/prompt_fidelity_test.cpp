// Prompt fidelity: for every shipped task, the requests quantscale builds for the first
// documents (zero-shot and k-shot) equal, byte for byte, the ones lm-eval builds. The expected
// requests (expected_prompts/<task>.json) come from make_expected_prompts.py, which renders
// lm-eval's own templates (Jinja, verbatim) and samples few-shot examples with Python's
// random.Random(1234) as lm-eval's ContextSampler does. Request counts over whole splits too.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/shared_paths.h"
#include "eval/expected_prompts.h"
#include "eval/prompt.h"
#include "eval/task_loaders.h"
#include "eval/task_registry.h"
#include "test_support.h"

namespace qs {
namespace {

class PromptFidelity : public ::testing::TestWithParam<std::string> {};

TEST_P(PromptFidelity, RequestsEqualLmEvalZeroAndFewShot) {
  const std::string task = GetParam();
  nlohmann::json expected = test::expected_prompts(task);
  const TaskSpec spec = TaskRegistry::builtin().get(task);
  std::string data_dir = qs::test::shared_file("benchmarks");
  TaskData data = load_task_data(spec, data_dir, RowPolicy::Fail);
  EXPECT_EQ(static_cast<int64_t>(data.docs.size()), expected["total_docs"].get<int64_t>());

  for (const auto& [shots_text, docs] : expected["shots"].items()) {
    int shots = std::stoi(shots_text);
    PreparedRequests prepared = prepare_requests(spec, data.docs, data.pool(), data.pool_is_eval_split(), shots,
                                                 expected["limit"].get<int64_t>(), 1234);
    ASSERT_EQ(prepared.docs.size(), docs.size()) << task << " " << shots << "-shot";
    for (size_t d = 0; d < docs.size(); ++d) {
      const auto& doc = docs[d];
      EXPECT_EQ(prepared.docs[d]->id, doc["doc_id"].get<int64_t>());
      EXPECT_EQ(prepared.docs[d]->group, doc["group"].get<std::string>());
      const auto& requests = prepared.requests[d];
      ASSERT_EQ(requests.size(), doc["requests"].size()) << task << " doc " << d;
      for (size_t r = 0; r < requests.size(); ++r) {
        const auto& want = doc["requests"][r];
        EXPECT_EQ(requests[r].context, doc["contexts"][want[0].get<size_t>()].get<std::string>())
            << task << " " << shots << "-shot doc " << d << " request " << r;
        EXPECT_EQ(requests[r].continuation, want[1].get<std::string>()) << task << " " << shots << "-shot doc " << d << " request " << r;
      }
    }
  }

  // lm-eval's request count over the whole split: choices x docs (multiple choice), 1 per doc otherwise.
  PreparedRequests all = prepare_requests(spec, data.docs, data.pool(), data.pool_is_eval_split(), 0, std::nullopt, 1234);
  int64_t total = 0;
  for (const auto& requests : all.requests) total += static_cast<int64_t>(requests.size());
  EXPECT_EQ(total, expected["total_requests"].get<int64_t>()) << task;
}

INSTANTIATE_TEST_SUITE_P(AllTasks, PromptFidelity,
                         ::testing::Values("triviaqa_sm_sub", "nq_open", "bigbench_qa_wikidata", "jeopardy", "lambada_openai",
                                           "mmlu", "hellaswag", "piqa", "winogrande", "arc_easy", "arc_challenge", "boolq",
                                           "openbookqa", "commonsense_qa", "copa", "siqa", "gsm8k", "logiqa"));

// Hand-written from the HellaSwag validation set's first two items as lm-eval's process_docs
// renders them (activity_label + ": " + ctx_a + " " + ctx_b.capitalize()): the shipped file
// holds the raw ctx, so this checks our ctx_b capitalisation against real lm-eval output.
TEST(PromptFidelityHandWritten, HellaswagFirstItemsCapitalizeCtxB) {
  const TaskSpec spec = TaskRegistry::builtin().get("hellaswag");
  TaskData data = load_task_data(spec, qs::test::shared_file("benchmarks"), RowPolicy::Fail);
  ASSERT_GE(data.docs.size(), 2u);
  EXPECT_EQ(data.docs[0].text, "Roof shingle removal: A man is sitting on a roof. He");
  EXPECT_EQ(data.docs[0].gold, 3);
  EXPECT_EQ(data.docs[1].text, "Clean and jerk: A lady walks to a barbell. She bends down and grabs the pole. The lady");
  auto requests = build_requests(spec, data.docs[0], {});
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[3].continuation, " starts pulling up roofing on a roof.");
}

// MMLU 5-shot as lm-eval prints it for abstract_algebra's first test question (description,
// the five dev questions in order, "Answer: <letter>" each).
TEST(PromptFidelityHandWritten, MmluDescriptionAndFirstNExamples) {
  const TaskSpec spec = TaskRegistry::builtin().get("mmlu");
  TaskData data = load_task_data(spec, qs::test::shared_file("benchmarks"), RowPolicy::Fail);
  PreparedRequests prepared = prepare_requests(spec, data.docs, data.pool(), false, 5, 1, 1234);
  const std::string& context = prepared.requests[0][0].context;
  EXPECT_EQ(context.rfind("The following are multiple choice questions (with answers) about abstract algebra.\n\n", 0), 0u);
  EXPECT_NE(context.find("\nAnswer: B\n\n"), std::string::npos);
  EXPECT_EQ(prepared.requests[0].size(), 4u);
  EXPECT_EQ(prepared.requests[0][0].continuation, " A");
  EXPECT_EQ(context.substr(context.size() - 8), "\nAnswer:");
}

}  // namespace
}  // namespace qs
