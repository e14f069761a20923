#include "eval/task_loaders.h"

#include <filesystem>

#include "core/error.h"
#include "eval/loaders_internal.h"

namespace qs {

const std::vector<std::string>& known_formats() {
  static const std::vector<std::string> names = [] {
    auto all = loaders::jsonl_formats();
    for (const char* name : {"mmlu_csv", "hellaswag_txt", "logiqa_txt"}) all.push_back(name);
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
  else throw Error("task '" + spec.name + "'", "unknown format '" + spec.format + "'");
  require(!docs.empty(), files.path,
          "task '" + spec.name + "': no documents" +
              (report.rows_skipped > 0 ? " (" + std::to_string(report.rows_skipped) + " malformed rows skipped)" : ""));
  return docs;
}

}  // namespace qs
