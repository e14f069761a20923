#pragma once
// Loaders: one per file layout shipped in shared/benchmarks (and usable for user tasks of the
// same layout). Each turns one split into lm-eval documents (Doc) already rendered with the
// lm-eval task's doc_to_text / doc_to_choice / doc_to_target.
//
// Errors: a malformed row throws qs::Error("<file>:<line>", "field '<name>': <why>") under
// RowPolicy::Fail; under RowPolicy::Skip it is counted in LoadReport and listed (never silent).
// A split with no usable document throws.
#include <cstdint>
#include <string>
#include <vector>

#include "eval/task.h"

namespace qs {

enum class RowPolicy { Fail, Skip };

struct LoadReport {
  int64_t rows_read = 0;
  int64_t rows_skipped = 0;
  std::vector<std::string> skipped;  // "file:line: field 'x': why", the first 50
};

struct SplitFiles {
  std::string path;        // file or folder (MMLU)
  std::string label_path;  // PIQA labels, "" otherwise
};

// Documents of one split in file order (grouped tasks: groups sorted by name, file order inside).
std::vector<Doc> load_docs(const TaskSpec& spec, const SplitFiles& files, RowPolicy policy, LoadReport& report);

// A task's evaluation split and few-shot pool, paths resolved against `data_dir` (absolute
// paths kept). Without a few-shot file the pool is the evaluation split itself.
struct TaskData {
  std::vector<Doc> docs;
  std::vector<Doc> fewshot;  // empty when the pool is `docs`
  LoadReport report;
  const std::vector<Doc>& pool() const { return fewshot.empty() ? docs : fewshot; }
  bool pool_is_eval_split() const { return fewshot.empty(); }
};
TaskData load_task_data(const TaskSpec& spec, const std::string& data_dir, RowPolicy policy);

// Names accepted in TaskSpec::format.
const std::vector<std::string>& known_formats();

}  // namespace qs
