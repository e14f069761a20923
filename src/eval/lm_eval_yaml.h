#pragma once
// lm-evaluation-harness task files (YAML, lm_eval/api/task.py TaskConfig) as quantscale tasks,
// run offline from local files. A file, or every *.yaml / *.yml of a folder (files without a
// `task`, and lm-eval's `_*` templates, are bases for `include` only).
//
// Keys read: task, include (a base YAML, relative to the file; the file's keys override it),
// dataset_path (a local folder holding <split>.jsonl|.json|.csv, or "json" / "csv" with
// dataset_kwargs.data_files {split: file} or one file = split "train"; relative to the YAML),
// test_split / validation_split / training_split / fewshot_split, output_type, doc_to_text,
// doc_to_target, doc_to_choice (field names, lists, Jinja templates: jinja_template.h),
// target_delimiter, fewshot_delimiter, fewshot_config.sampler (default | first_n),
// num_fewshot, metric_list (metric names; exact_match's ignore_case, ignore_punctuation,
// regexes_to_ignore), generation_kwargs (until, max_gen_toks; greedy only), filter_list (regex,
// take_first, remove_whitespace), description, group / tag / dataset_name and lm-eval's
// bookkeeping keys (accepted, no effect), metadata.version. quantscale's extension lives in
// `metadata`, which lm-eval passes through: stratum (default "user"), chance (default 0),
// primary_metric (default the first metric, with the first filter's name).
// Evaluation split: test_split, else validation_split. Few-shot pool: fewshot_split, else
// training_split, else the evaluation split; lm-eval draws k + 1 and drops the evaluated
// document when fewshot_split == test_split (both unset counts).
//
// Errors name the file and key: `!function` hooks (Python), process_docs, unknown keys, a
// dataset_path that is not local, unsupported Jinja.
#include <string>
#include <vector>

#include "eval/task.h"

namespace qs {

std::vector<TaskSpec> load_lm_eval_yaml(const std::string& path);

// Whether a --task-config path is lm-eval YAML (a .yaml / .yml file or a folder).
bool is_lm_eval_yaml_path(const std::string& path);

}  // namespace qs
