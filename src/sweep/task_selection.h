#pragma once
// Which benchmark tasks a study evaluates: names and strata (l1, l2, l3) as written in the study
// file, resolved to task names with their stratum and chance level (Acc_rand of the law).
#include <string>
#include <vector>

namespace qs {

struct SelectedTask {
  std::string name;     // lm-eval style task name, e.g. "arc_easy"
  std::string stratum;  // "L1", "L2", "L3"
  double acc_rand = 0;  // chance level of the primary metric
};

// Resolves names and strata through eval's task registry (strata expand to their tasks,
// repeats dropped); `task_config` is an optional registry config file (eval/task_registry.h)
// that re-assigns strata or adds tasks. Throws qs::Error(where, ...) for unknown names.
std::vector<SelectedTask> select_tasks(const std::vector<std::string>& names_or_strata, const std::string& where,
                                       const std::string& task_config = "");

}  // namespace qs
