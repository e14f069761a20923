#pragma once
// Between the loader files only (task_loaders.cpp dispatches to these).
#include <cstdint>
#include <string>
#include <vector>

#include "eval/task_loaders.h"

namespace qs::loaders {

bool is_jsonl_format(const std::string& format);
std::vector<std::string> jsonl_formats();
std::vector<Doc> load_jsonl(const TaskSpec& spec, const SplitFiles& files, RowPolicy policy, LoadReport& report);

std::vector<Doc> load_mmlu_csv(const SplitFiles& files, RowPolicy policy, LoadReport& report);
std::vector<Doc> load_hellaswag_txt(const SplitFiles& files, RowPolicy policy, LoadReport& report);
std::vector<Doc> load_logiqa_txt(const SplitFiles& files, RowPolicy policy, LoadReport& report);

struct CsvRecord {
  std::vector<std::string> fields;
  int64_t line = 0;  // line where the record starts
};
// RFC 4180 records of `data` as Python's csv module reads them (`path` names errors).
std::vector<CsvRecord> parse_csv(const std::string& path, const std::string& data);

// lm-eval YAML tasks (loaders_yaml.cpp): rows rendered with the task's DocTemplates.
std::vector<Doc> load_templated(const TaskSpec& spec, const SplitFiles& files, RowPolicy policy, LoadReport& report);

// One integer label per line (PIQA's valid-labels.lst).
std::vector<int64_t> read_labels(const std::string& path);

}  // namespace qs::loaders
