#pragma once
// What one finished (or failed) sweep point measured, as written to its result file (JSON) and
// folded into the store. The same record travels from a child process, a Slurm array task or
// the in-process runner, so every path into the store is one code path.
#include <cstdint>
#include <string>
#include <vector>

#include "core/version.h"
#include "sweep/grid.h"

namespace qs {

struct ModelFacts {
  std::string name;
  std::string path;
  std::string architecture;      // e.g. "LlamaForCausalLM"
  int64_t n_params = 0;          // total, as loaded (tied embeddings counted once)
  int64_t n_params_nonembed = 0; // without token embeddings (and untied lm_head)
  std::string file_hash;         // fingerprint of config.json and the weight files (model_facts.h)
};

struct TaskMetric {
  std::string task;
  std::string stratum;    // "L1", "L2", "L3"
  std::string metric;     // "acc", "acc_norm", "exact_match", ...
  double value = 0;
  double stderr_value = 0;  // -1 = not available (stored as NULL)
  double acc_rand = 0;
  int64_t n_samples = 0;
  bool primary = false;   // the task's primary metric: the one the law uses
};

struct LayerDiagnostic {
  std::string layer;        // tensor name, e.g. "model.layers.0.self_attn.q_proj"
  double error = 0;         // quantizer's reconstruction error on calibration inputs (see quant/)
  double bits_per_weight = 0;
};

struct QuantDiagnostics {
  double bits_per_weight = 0;  // over quantized linear layers, scales and zeros included
  int64_t memory_bytes = 0;    // whole quantized model (DESIGN.md "Memory of a quantized model")
  std::vector<LayerDiagnostic> layers;
};

// How a point's attempt ended; written "ok" / "failed" in result files and the store.
enum class PointStatus { Ok, Failed };
std::string status_name(PointStatus status);

struct PointResult {
  SweepPoint point;
  std::string settings;           // canonical_settings(), stored with the configuration
  PointStatus status = PointStatus::Ok;
  std::string error;              // failure text (status "failed")
  ModelFacts model;
  std::vector<TaskMetric> metrics;
  QuantDiagnostics quant;         // empty for the fp baseline
  double ppl = 0;                 // perplexity on the study's text; 0 = not measured
  int64_t ppl_tokens = 0;
  // Timings in seconds and the machine that ran the point.
  double quantize_seconds = 0, eval_seconds = 0, ppl_seconds = 0, total_seconds = 0;
  std::string started_at, finished_at;  // UTC, ISO 8601
  std::string host;
  std::string version = std::string(qs::quantscale_version());
  std::string git_revision = std::string(qs::git_revision());
};

std::string to_json(const PointResult& result);
// Throws qs::Error(origin, ...) on malformed or incomplete JSON.
PointResult point_result_from_json(const std::string& text, const std::string& origin);

// Writes <dir>/<point id>.json atomically and returns its path.
std::string write_result_file(const std::string& dir, const PointResult& result);

std::string utc_now_iso8601();
std::string host_name();

}  // namespace qs
