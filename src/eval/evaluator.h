#pragma once
// Evaluation of a LanguageModel on registered tasks, as lm-evaluation-harness runs them:
// requests built per document (few-shot context, choices), tokenized like lm-eval's HF
// backend, batched and sorted by length (documents' shared contexts kept together so the model
// computes them once), scored with lm-eval's metrics and standard errors, summarized per
// knowledge stratum.
//
//   qs::EvalOptions options;
//   options.tasks = {"l1", "l2", "l3"};    // or {"arc_easy", "gsm8k"}
//   qs::EvalResults results = qs::run_evaluation(model, options);
//   qs::write_file_atomic("results.json", results.to_json().dump(2));
//
// Errors (qs::Error): unknown task names, missing/malformed data files (policy Fail), a pool
// too small for the requested shots, model failures. Never for an empty continuation or a
// --limit above the split size (both reported in the results).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "eval/task_loaders.h"
#include "model/language_model.h"

namespace qs {

struct EvalOptions {
  std::vector<std::string> tasks = {"l1", "l2", "l3"};  // task names and/or strata
  std::optional<int> shots;            // default: each task's default (gsm8k 5, others 0)
  std::optional<int64_t> limit;        // first N documents per task (per subtask for MMLU)
  uint64_t seed = 1234;                // few-shot sampler seed (lm-eval fewshot_random_seed)
  int batch_size = 32;                 // requests per model call
  std::string data_dir;                // default: shared/benchmarks
  std::string task_config;             // TOML/JSON file applied to the registry, "" = none
  bool add_bos = true;                 // false: lm-eval's older no-BOS convention
  RowPolicy row_policy = RowPolicy::Fail;
  int bootstrap_iters = 100000;        // lm-eval default; 0 disables bootstrapped stderrs
  bool progress = true;                // progress bar with ETA on a terminal
  bool log_samples = false;            // keep per-document requests, tokens and scores
  nlohmann::json model_info;           // recorded under config (path, quantization, ...)
};

struct MetricResult {
  std::string key;  // "acc,none", "exact_match,strict-match"
  double value = 0;
  std::optional<double> stderr_value;
};

struct TaskResult {
  std::string name, stratum, output_type, primary_metric;
  double chance = 0, version = 1;
  int num_fewshot = 0;
  int64_t n_docs = 0;             // evaluated
  int64_t n_docs_available = 0;   // in the split
  std::optional<int64_t> limit_requested;
  int64_t n_requests = 0;
  std::vector<MetricResult> metrics;
  double acc = 0;                  // the primary metric
  std::optional<double> acc_stderr;
  LoadReport load_report;
  std::vector<int64_t> empty_continuation_docs;
  int64_t empty_continuations = 0;
  int64_t truncated_requests = 0;
  std::vector<TaskResult> subtasks;  // MMLU subjects
  nlohmann::json config;             // the task definition as run
  nlohmann::json samples;            // per-document log (log_samples)
  double seconds = 0;
};

struct StratumResult {
  std::string stratum;
  std::vector<std::string> tasks;
  double acc = 0, acc_stderr = 0;        // mean of the tasks' Acc; sqrt(sum se^2) / n
  double acc_rand = 0;                   // mean chance level
  double acc_adj = 0, acc_adj_stderr = 0;  // mean of (Acc - Acc_rand) / (1 - Acc_rand)
};

struct EvalResults {
  std::vector<TaskResult> tasks;
  std::vector<StratumResult> strata;
  nlohmann::json config;
  double seconds = 0;

  nlohmann::json to_json() const;  // shaped like lm-eval's results file, plus "strata"
  std::string table() const;       // readable tables for the terminal
};

EvalResults run_evaluation(LanguageModel& model, const EvalOptions& options);

// Stratum summaries from task results (exposed for the sweep and for tests).
std::vector<StratumResult> summarize_strata(const std::vector<TaskResult>& tasks);

}  // namespace qs
