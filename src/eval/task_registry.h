#pragma once
// The task registry: every benchmark shipped in shared/benchmarks with lm-eval's prompt format,
// metrics, chance level and the study's default stratum. A config file (TOML or JSON) re-assigns
// strata / chance levels and adds tasks of the built-in formats without recompiling:
//
//   [strata]                       # task = stratum
//   hellaswag = "L3"
//   [[task]]                       # a new task, or overrides of an existing one (same name)
//   name = "arc_easy_dev"
//   base = "arc_easy"              # start from a registered task (like lm-eval's include)
//   eval_file = "/data/arc_easy_dev.jsonl"
//   stratum = "L2"
//
// JSON: {"strata": {...}, "task": [{...}]}. Keys of a task: see docs/eval.md.
#include <string>
#include <vector>

#include "eval/task.h"

namespace qs {

class TaskRegistry {
 public:
  static TaskRegistry builtin();

  // Applies a config file; throws qs::Error naming the file and key.
  void load_config(const std::string& path);

  const TaskSpec& get(const std::string& name) const;  // throws on unknown names (listing known)
  bool contains(const std::string& name) const;
  const std::vector<TaskSpec>& tasks() const { return tasks_; }

  // {"l1", "l2", "hellaswag"}: strata (case-insensitive) expand to their tasks in registry
  // order; duplicates removed; unknown names throw.
  std::vector<std::string> resolve(const std::vector<std::string>& selection) const;

  void add_or_replace(TaskSpec spec);

 private:
  std::vector<TaskSpec> tasks_;
};

// "l1, l2,hellaswag" (the CLI's --tasks) -> {"l1", "l2", "hellaswag"}: split at commas, blanks
// trimmed, empty items dropped.
std::vector<std::string> split_task_list(const std::string& text);

}  // namespace qs
