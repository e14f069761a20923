#include "eval/task_loaders.h"

#include <filesystem>

#include "core/error.h"
#include "eval/loaders_internal.h"

namespace qs {

const std::vector<std::string>& known_formats() {
  static const std::vector<std::string> names = [] {
    auto all = loaders::jsonl_formats();
    for (const char* name : {"mmlu_csv", "hellaswag_txt", "logiqa_txt", "lm_eval_yaml"}) all.push_back(name);
    return all;
  }();
  return names;
}

std::vector<Doc> load_docs(const TaskSpec& spec, const SplitFiles& files, RowPolicy policy, LoadReport& report) {
  require(std::filesystem::exists(files.path), files.path, "task '" + spec.name + "': data file not found");
  std::vector<Doc> docs;
  if (loaders::is_jsonl_format(spec.format)) docs = loaders::load_jsonl(spec, files, policy, report);
  else if (spec.format == "mmlu_csv") docs = loaders::load_mmlu_csv(files, policy, report);
  else if (spec.format == "hellaswag_txt") docs = loaders::load_hellaswag_txt(files, policy, report);
  else if (spec.format == "logiqa_txt") docs = loaders::load_logiqa_txt(files, policy, report);
  else if (spec.format == "lm_eval_yaml") docs = loaders::load_templated(spec, files, policy, report);
  else throw Error("task '" + spec.name + "'", "unknown format '" + spec.format + "'");
  require(!docs.empty(), files.path,
          "task '" + spec.name + "': no documents" +
              (report.rows_skipped > 0 ? " (" + std::to_string(report.rows_skipped) + " malformed rows skipped)" : ""));
  return docs;
}

namespace {
std::string resolve_path(const std::string& data_dir, const std::string& file) {
  if (file.empty() || std::filesystem::path(file).is_absolute()) return file;
  return (std::filesystem::path(data_dir) / file).string();
}
}  // namespace

TaskData load_task_data(const TaskSpec& spec, const std::string& data_dir, RowPolicy policy) {
  TaskData data;
  data.docs = load_docs(spec, {resolve_path(data_dir, spec.eval_file), resolve_path(data_dir, spec.label_file)}, policy, data.report);
  if (!spec.fewshot_file.empty()) {
    LoadReport fewshot_report;
    data.fewshot = load_docs(spec, {resolve_path(data_dir, spec.fewshot_file), ""}, policy, fewshot_report);
  }
  return data;
}

}  // namespace qs
