// Issue 14 (items 6, 7 and 10): input a careless user or an attacker would give the evaluator.
// A NaN log-probability is an error naming the document; a task file's relative data path never
// falls back to the shipped benchmark of the same name; a bzip2 file that decompresses past its
// cap is refused; a multiple-choice task without `chance`
// gets 1/(number of choices); a skipped row with invalid UTF-8 still leaves serializable results.
#include <bzlib.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>

#include "core/error.h"
#include "eval/evaluator.h"
#include "eval/fake_model.h"
#include "eval/row_reader.h"
#include "eval/task_registry.h"
#include "test_support.h"

namespace qs {
namespace {

using test::error_of;
using test::write_text;

const char* kFourChoices = R"({"query": "Question: Which?", "choices": ["a", "b", "c", "d"], "gold": 1})";
const char* kTwoChoices = R"({"query": "Question: Which?", "choices": ["a", "b"], "gold": 0})";

// A task file `mine` over `data` in a scratch folder, `extra` appended to its [[task]] table.
struct TaskFile {
  test::ScratchDir dir{"eval_hostile"};
  std::string write_task(const std::string& data, const std::string& extra = "chance = 0.25\n") {
    write_text(dir.file("data.jsonl"), data);
    write_text(dir.file("tasks.toml"), "[[task]]\nname = \"mine\"\nformat = \"mc_query\"\neval_file = \"data.jsonl\"\n"
                                  "metrics = [\"acc\"]\nstratum = \"L2\"\n" + extra);
    return dir.file("tasks.toml");
  }
};

EvalResults evaluate(LanguageModel& model, const std::string& config, RowPolicy policy = RowPolicy::Fail) {
  EvalOptions options;
  options.tasks = {"mine"};
  options.task_config = config;
  options.row_policy = policy;
  options.progress = false;
  return run_evaluation(model, options);
}

// The fake model, with a NaN log-probability for every request whose continuation is " c".
class NanForChoiceC : public test::FakeModel {
 public:
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& requests) override {
    auto results = FakeModel::loglikelihood(requests);
    for (size_t i = 0; i < requests.size(); ++i)
      if (requests[i].continuation_tokens == tokenizer().encode(" c", false)) results[i].logprob = std::nan("");
    return results;
  }
};

TEST(EvalHostileInput, NonFiniteLogProbabilityIsAnErrorNamingTaskAndDocument) {
  TaskFile task;
  const std::string config = task.write_task(std::string(kTwoChoices) + "\n" + kFourChoices + "\n");
  NanForChoiceC model;
  const std::string message = error_of([&] { evaluate(model, config); });
  // Document 1 is the only one with a choice "c" (its third request, slot 2).
  EXPECT_NE(message.find("task 'mine', document 1, request 2"), std::string::npos) << message;
  EXPECT_NE(message.find("non-finite log-probability"), std::string::npos) << message;
  test::FakeModel finite;
  EXPECT_NO_THROW(evaluate(finite, config));
}

// Runs `action` with the working directory set to `dir`, restoring it afterwards.
void in_directory(const std::string& dir, const std::function<void()>& action) {
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  try {
    action();
  } catch (...) {
    std::filesystem::current_path(previous);
    throw;
  }
  std::filesystem::current_path(previous);
}

TEST(EvalHostileInput, RelativeDataFileOfABareTaskFileNameIsNeverTheShippedOne) {
  // The user's file has the shipped arc_easy file's relative name; the task file is given as a
  // bare "mine.toml". It used to resolve to --data-dir (shared/benchmarks): 2,376 shipped
  // documents scored instead of the user's two.
  test::ScratchDir dir("eval_relative_task");
  const std::string shipped_name = TaskRegistry::builtin().get("arc_easy").eval_file;
  const std::string own_file = (std::filesystem::path(dir.path()) / shipped_name).lexically_normal().string();
  write_text(own_file, std::string(kFourChoices) + "\n" + kTwoChoices + "\n");
  write_text(dir.file("mine.toml"), "[[task]]\nname = \"mine\"\nbase = \"arc_easy\"\nformat = \"mc_query\"\neval_file = \"" +
                                   shipped_name + "\"\n");
  in_directory(dir.path(), [&] {
    TaskRegistry registry = TaskRegistry::builtin();
    registry.load_config("mine.toml");
    EXPECT_EQ(registry.get("mine").eval_file, own_file);
    test::FakeModel model;
    EXPECT_EQ(evaluate(model, "mine.toml").tasks.at(0).n_docs, 2);
  });
  // A named file that is not beside the task file is an error naming where it was looked for.
  write_text(dir.file("missing.toml"), "[[task]]\nname = \"gone\"\nbase = \"arc_easy\"\neval_file = \"nowhere.jsonl\"\n");
  const std::string message = error_of([&] { TaskRegistry::builtin().load_config(dir.file("missing.toml")); });
  EXPECT_NE(message.find(dir.file("nowhere.jsonl")), std::string::npos) << message;
  EXPECT_NE(message.find("task file's folder"), std::string::npos) << message;
}

TEST(EvalHostileInput, MultipleChoiceTaskWithoutChanceGetsOneOverTheNumberOfChoices) {
  TaskFile task;
  test::FakeModel model;
  // Four choices and two: Acc_rand = mean(1/4, 1/2) = 0.375 (not 0).
  const std::string mixed = task.write_task(std::string(kFourChoices) + "\n" + kTwoChoices + "\n", "");
  const TaskResult result = evaluate(model, mixed).tasks.at(0);
  EXPECT_DOUBLE_EQ(result.chance, (1.0 / 4 + 1.0 / 2) / 2);
  EXPECT_DOUBLE_EQ(result.config["chance"].get<double>(), result.chance);
  const std::string stated = task.write_task(std::string(kFourChoices) + "\n" + kTwoChoices + "\n", "chance = 0.1\n");
  EXPECT_DOUBLE_EQ(evaluate(model, stated).tasks.at(0).chance, 0.1);
}

TEST(EvalHostileInput, SkippedRowWithInvalidUtf8IsListedAndTheResultsSerialize) {
  TaskFile task;
  const std::string config =
      task.write_task(std::string(kFourChoices) + "\n{\"query\": \"caf\xff\", \"choices\": [\"a\"], \"gold\": 0}\n");
  test::FakeModel model;
  const EvalResults results = evaluate(model, config, RowPolicy::Skip);
  const LoadReport& report = results.tasks.at(0).load_report;
  ASSERT_EQ(report.rows_skipped, 1);
  EXPECT_NE(report.skipped.at(0).find("data.jsonl:2"), std::string::npos) << report.skipped.at(0);
  std::string json;
  EXPECT_NO_THROW(json = results.to_json().dump(2));  // strict UTF-8: throws on a raw 0xff byte
  EXPECT_NE(json.find("data.jsonl:2"), std::string::npos);
}

// A bzip2 "bomb": 4 MiB of zeros compress to a few dozen bytes. Read with a 1 MiB cap it is an
// error naming the file (the default cap, 1 GiB, is the same code path); under the cap it reads.
TEST(EvalHostileInput, Bzip2ThatDecompressesPastItsCapIsRefused) {
  test::ScratchDir dir("bz2_bomb");
  std::string zeros(4 << 20, '\0'), compressed(1 << 16, '\0');
  unsigned int size = static_cast<unsigned int>(compressed.size());
  ASSERT_EQ(BZ2_bzBuffToBuffCompress(compressed.data(), &size, zeros.data(), static_cast<unsigned int>(zeros.size()), 9,
                                     0, 0),
            BZ_OK);
  compressed.resize(size);
  write_text(dir.file("bomb.txt.bz2"), compressed);
  const std::string message = error_of([&] { rows::read_bz2(dir.file("bomb.txt.bz2"), 1 << 20); });
  EXPECT_NE(message.find("bomb.txt.bz2"), std::string::npos) << message;
  EXPECT_NE(message.find("decompresses to more than"), std::string::npos) << message;
  EXPECT_EQ(rows::read_bz2(dir.file("bomb.txt.bz2"), 8 << 20).size(), zeros.size());
}

}  // namespace
}  // namespace qs
