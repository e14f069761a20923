#include "sweep/task_selection.h"

#include "core/error.h"
#include "eval/task_registry.h"

namespace qs {

std::vector<SelectedTask> select_tasks(const std::vector<std::string>& names_or_strata, const std::string& where,
                                       const std::string& task_config) {
  TaskRegistry registry = TaskRegistry::builtin();
  if (!task_config.empty()) registry.load_config(task_config);
  for (const auto& name : names_or_strata)
    if (name.find(',') != std::string::npos) throw Error(where, "one task or stratum per list entry: '" + name + "'");
  std::vector<std::string> names;
  try {
    names = registry.resolve(names_or_strata);
  } catch (const Error& e) {
    throw Error(where, e.what_failed());
  }
  std::vector<SelectedTask> selected;
  for (const auto& name : names) {
    const TaskSpec& spec = registry.get(name);
    selected.push_back({spec.name, spec.stratum, spec.chance});
  }
  return selected;
}

}  // namespace qs
