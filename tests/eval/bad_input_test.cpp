// Bad input: malformed rows name file:line and field (fail), or are counted and listed (skip),
// never silently dropped; labels out of range; empty files; unknown tasks; bad configs; a
// --limit larger than the split.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "eval/evaluator.h"
#include "eval/fake_model.h"
#include "eval/task_registry.h"
#include "test_support.h"

namespace qs {
namespace {

using test::error_of;
using test::write_text;

struct UserTask {
  qs::test::ScratchDir dir{"eval_bad_input"};
  std::string config(const std::string& format, const std::string& data, const std::string& extra = "") {
    write_text(dir.file("data.jsonl"), data);
    std::string path = dir.file("tasks.toml");
    write_text(path, "[[task]]\nname = \"mine\"\nformat = \"" + format + "\"\neval_file = \"data.jsonl\"\nmetrics = [\"acc\"]\n"
                "chance = 0.25\nstratum = \"L2\"\n" + extra);
    return path;
  }
  EvalResults run(const std::string& config_path, RowPolicy policy, std::optional<int64_t> limit = std::nullopt) {
    qs::test::FakeModel model;
    EvalOptions options;
    options.tasks = {"mine"};
    options.task_config = config_path;
    options.row_policy = policy;
    options.progress = false;
    options.limit = limit;
    return run_evaluation(model, options);
  }
};

const char* kGood = R"({"query": "Question: Which?", "choices": ["a", "b", "c", "d"], "gold": 1})";

TEST(EvalBadInput, MalformedJsonlRowNamesFileLineAndField) {
  UserTask task;
  std::string config = task.config("mc_question_answer", std::string(kGood) + "\n" +
                                                             R"({"query": "Question: Which?", "choices": ["a", "b"]})" "\n" +
                                                             "{not json\n" + kGood + "\n");
  std::string message = error_of([&] { task.run(config, RowPolicy::Fail); });
  EXPECT_NE(message.find("data.jsonl:2"), std::string::npos) << message;
  EXPECT_NE(message.find("field 'gold'"), std::string::npos) << message;

  // Skip policy: both bad rows counted and listed with their lines; the good rows evaluated.
  EvalResults results = task.run(config, RowPolicy::Skip);
  const TaskResult& result = results.tasks.at(0);
  EXPECT_EQ(result.n_docs, 2);
  EXPECT_EQ(result.load_report.rows_skipped, 2);
  ASSERT_EQ(result.load_report.skipped.size(), 2u);
  EXPECT_NE(result.load_report.skipped[1].find("data.jsonl:3"), std::string::npos);
  EXPECT_NE(result.load_report.skipped[1].find("malformed JSON"), std::string::npos);
  EXPECT_EQ(results.to_json()["quantscale"]["tasks"]["mine"]["rows_skipped"].get<int64_t>(), 2);
  EXPECT_NE(results.table().find("2 malformed rows skipped"), std::string::npos);
}

TEST(EvalBadInput, LabelOutOfRange) {
  UserTask task;
  std::string config = task.config("mc_query", std::string(kGood) + "\n" + R"({"query": "q", "choices": ["a", "b"], "gold": 2})" "\n");
  std::string message = error_of([&] { task.run(config, RowPolicy::Fail); });
  EXPECT_NE(message.find("data.jsonl:2"), std::string::npos) << message;
  EXPECT_NE(message.find("label 2 out of range for 2 choices"), std::string::npos) << message;
  std::string negative = task.config("mc_query", R"({"query": "q", "choices": ["a", "b"], "gold": -1})" "\n");
  EXPECT_NE(error_of([&] { task.run(negative, RowPolicy::Fail); }).find("out of range"), std::string::npos);
}

TEST(EvalBadInput, EmptyTaskFile) {
  UserTask task;
  std::string config = task.config("mc_query", "\n\n");
  std::string message = error_of([&] { task.run(config, RowPolicy::Fail); });
  EXPECT_NE(message.find("no documents"), std::string::npos) << message;
  // All rows malformed under skip: still an error, with the count.
  std::string all_bad = task.config("mc_query", "{\n[1]\n");
  message = error_of([&] { task.run(all_bad, RowPolicy::Skip); });
  EXPECT_NE(message.find("no documents (2 malformed rows skipped)"), std::string::npos) << message;
}

TEST(EvalBadInput, UnknownTaskNamesListKnownOnes) {
  TaskRegistry registry = TaskRegistry::builtin();
  std::string message = error_of([&] { registry.resolve({"arc_easy", "hellaswagg"}); });
  EXPECT_NE(message.find("unknown task 'hellaswagg'"), std::string::npos) << message;
  EXPECT_NE(message.find("hellaswag"), std::string::npos);
  EXPECT_EQ(registry.resolve(split_task_list("L3, arc_challenge")).size(), 3u);  // gsm8k, arc_challenge, logiqa (no duplicate)
}

TEST(EvalBadInput, LimitLargerThanSplitEvaluatesAllAndSaysSo) {
  UserTask task;
  std::string config = task.config("mc_query", std::string(kGood) + "\n" + kGood + "\n");
  EvalResults results = task.run(config, RowPolicy::Fail, 50);
  EXPECT_EQ(results.tasks.at(0).n_docs, 2);
  auto json = results.to_json();
  EXPECT_EQ(json["n-samples"]["mine"]["effective"].get<int64_t>(), 2);
  EXPECT_NE(json["quantscale"]["tasks"]["mine"]["limit_note"].get<std::string>().find("exceeds the split"), std::string::npos);
}

TEST(EvalBadInput, ConfigErrorsNameTheKey) {
  UserTask task;
  std::string config = task.config("mc_query", std::string(kGood) + "\n", "colour = \"blue\"\n");
  EXPECT_NE(error_of([&] { task.run(config, RowPolicy::Fail); }).find("unknown key 'colour'"), std::string::npos);
  std::string bad_format = task.config("no_such_format", std::string(kGood) + "\n");
  EXPECT_NE(error_of([&] { task.run(bad_format, RowPolicy::Fail); }).find("unknown format 'no_such_format'"), std::string::npos);
  write_text(task.dir.file("broken.toml"), "[strata\nhellaswag = 3\n");
  EXPECT_NE(error_of([&] { TaskRegistry::builtin().load_config(task.dir.file("broken.toml")); }).find("broken.toml:1"), std::string::npos);
  write_text(task.dir.file("strata.json"), R"({"strata": {"hellaswag": "L3"}})");
  TaskRegistry registry = TaskRegistry::builtin();
  registry.load_config(task.dir.file("strata.json"));
  EXPECT_EQ(registry.get("hellaswag").stratum, "L3");
  EXPECT_EQ(registry.resolve({"l3"}).size(), 4u);
}

TEST(EvalBadInput, TextLayoutsNameLineAndField) {
  qs::test::ScratchDir dir("eval_bad_text");
  TaskSpec mmlu = TaskRegistry::builtin().get("mmlu");
  std::filesystem::create_directories(dir.file("mmlu"));
  write_text(dir.file("mmlu/anatomy_test.csv"), "question,choice0,choice1,choice2,choice3,answer\n\"Q1\",a,b,c,d,2\nQ2,a,b,c,d,7\n");
  mmlu.eval_file = dir.file("mmlu");
  LoadReport report;
  std::string message = error_of([&] { load_docs(mmlu, {mmlu.eval_file, ""}, RowPolicy::Fail, report); });
  EXPECT_NE(message.find("anatomy_test.csv:3"), std::string::npos) << message;
  EXPECT_NE(message.find("field 'answer'"), std::string::npos) << message;

  TaskSpec piqa = TaskRegistry::builtin().get("piqa");
  write_text(dir.file("valid.jsonl"), R"({"goal": "g", "sol1": "a", "sol2": "b"})" "\n" R"({"goal": "g", "sol1": "a", "sol2": "b"})" "\n");
  write_text(dir.file("labels.lst"), "0\n");
  message = error_of([&] { load_docs(piqa, {dir.file("valid.jsonl"), dir.file("labels.lst")}, RowPolicy::Fail, report); });
  EXPECT_NE(message.find("valid.jsonl:2"), std::string::npos) << message;

  TaskSpec logiqa = TaskRegistry::builtin().get("logiqa");
  write_text(dir.file("logiqa.txt"), "\na\nctx\nq\nA.x\nB.y\nC.z\nD.w\n\ne\nctx\nq\nA.x\nB.y\nC.z\nD.w\n");
  message = error_of([&] { load_docs(logiqa, {dir.file("logiqa.txt"), ""}, RowPolicy::Fail, report); });
  EXPECT_NE(message.find("logiqa.txt:10"), std::string::npos) << message;
  EXPECT_NE(message.find("field 'label'"), std::string::npos) << message;
}

}  // namespace
}  // namespace qs
