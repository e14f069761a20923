#include "sweep/task_selection.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace qs {
namespace {

// The shipped benchmarks with their default stratum and chance level (shared/README.md).
// Interim catalogue until eval/ exposes its task registry; sweep resolves names only through
// select_tasks(), so switching to the registry changes this file alone.
const std::vector<SelectedTask>& catalogue() {
  static const std::vector<SelectedTask> tasks = {
      {"triviaqa", "L1", 0.0},       {"nq_open", "L1", 0.0},       {"bigbench_qa_wikidata", "L1", 0.0},
      {"jeopardy", "L1", 0.0},       {"lambada_openai", "L1", 0.0}, {"mmlu", "L2", 0.25},
      {"hellaswag", "L2", 0.25},     {"piqa", "L2", 0.5},          {"winogrande", "L2", 0.5},
      {"arc_easy", "L2", 0.25},      {"boolq", "L2", 0.5},         {"openbookqa", "L2", 0.25},
      {"commonsense_qa", "L2", 0.2}, {"copa", "L2", 0.5},          {"siqa", "L2", 1.0 / 3.0},
      {"gsm8k", "L3", 0.0},          {"arc_challenge", "L3", 0.25}, {"logiqa", "L3", 0.25},
  };
  return tasks;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

}  // namespace

std::vector<SelectedTask> select_tasks(const std::vector<std::string>& names_or_strata, const std::string& where) {
  std::vector<SelectedTask> selected;
  auto add = [&](const SelectedTask& task) {
    bool present = std::any_of(selected.begin(), selected.end(), [&](const auto& s) { return s.name == task.name; });
    if (!present) selected.push_back(task);
  };
  for (const auto& raw : names_or_strata) {
    std::string name = lower(raw);
    if (name == "l1" || name == "l2" || name == "l3") {
      std::string stratum = {'L', name[1]};
      for (const auto& task : catalogue())
        if (task.stratum == stratum) add(task);
      continue;
    }
    auto found = std::find_if(catalogue().begin(), catalogue().end(), [&](const auto& t) { return t.name == name; });
    if (found == catalogue().end()) {
      std::string known = "l1, l2, l3";
      for (const auto& task : catalogue()) known.append(", ").append(task.name);
      throw Error(where, "unknown task '" + raw + "' (known: " + known + ")");
    }
    add(*found);
  }
  return selected;
}

}  // namespace qs
