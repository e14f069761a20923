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

// Expands strata to their tasks and keeps the study's order, without repeats.
// Throws qs::Error(where, ...) naming an unknown task or stratum.
std::vector<SelectedTask> select_tasks(const std::vector<std::string>& names_or_strata, const std::string& where);

}  // namespace qs
