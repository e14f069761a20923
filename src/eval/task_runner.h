#pragma once
// Runs the requests of one task on a model (between evaluator.cpp and task_runner.cpp).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/metrics.h"
#include "eval/prompt.h"
#include "model/language_model.h"

namespace qs {

struct RunSettings {
  bool add_bos = true;
  int batch_size = 32;
  bool progress = true;
  bool log_samples = false;
};

struct DocOutcome {
  std::vector<ChoiceScore> scores;  // one per request (rolling: one, summed over windows)
  std::string generation;           // GenerateUntil: decoded text cut at the stop strings
  nlohmann::json sample;            // per-document log when asked
};

struct TaskRun {
  std::vector<DocOutcome> outcomes;  // one per document, in order
  int64_t n_requests = 0;
  int64_t truncated_requests = 0;
  std::vector<int64_t> empty_continuation_docs;  // doc ids (one entry per empty request)
};

// `requests[d]` are document d's text requests (build_requests).
TaskRun run_requests(LanguageModel& model, const TaskSpec& spec, const std::vector<const Doc*>& docs,
                     const std::vector<std::vector<TextRequest>>& requests, const RunSettings& settings);

}  // namespace qs
