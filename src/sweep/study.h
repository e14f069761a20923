#pragma once
// A study file (TOML) restated as data: which models, which quantization grid, which tasks,
// which perplexity text, where results go and what a Slurm job may use. load_study() validates
// everything it can before any point runs; every error names the file, line and column.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quant/quant_method.h"
#include "quant/quantize_defaults.h"

namespace qs {

struct StudyModel {
  std::string name;  // stable identity in the store and point ids (default: folder name)
  std::string path;  // Hugging Face checkpoint folder (absolute after ${shared} expansion)
};

struct SlurmResources {
  std::string partition;      // empty = cluster default
  std::string time = "04:00:00";
  int cpus_per_task = 2;
  std::string mem = "8G";
  int max_parallel = 0;       // %N throttle of the array; 0 = no throttle
  std::vector<std::string> extra_directives;  // written verbatim as "#SBATCH <directive>"
};

struct Study {
  std::string file;        // the study file as given
  std::string name;
  std::string output_dir;  // absolute; the store is output_dir/results.db
  std::vector<StudyModel> models;

  // Quantization grid.
  std::vector<QuantMethod> methods;  // gptq, rtn (the fp baseline is implicit)
  std::vector<int> bits;
  std::vector<int> group_sizes;      // -1 = per output channel
  std::vector<int> calib_samples;    // GPTQ only
  std::vector<uint64_t> seeds;       // calibration sampling seeds (GPTQ only)
  std::string calib_source;          // text file of calibration windows
  int calib_seq_len = 2048;          // capped at the model context by the quantizer
  // Quantizer options of every quantized point (quant/quantize_model.h); in point ids only when
  // not the default, so ids of studies written before them stay the same (grid.cpp).
  bool act_order = false;            // GPTQ: columns by decreasing Hessian diagonal (g_idx)
  bool true_sequential = false;      // GPTQ: each group on the inputs of the quantized groups before it
  bool quantize_lm_head = false;     // the output projection too (exported untied)
  int64_t heldout_samples = kDefaultHeldoutSamples;  // windows for per-layer output errors; 0: off

  // Evaluation.
  std::vector<std::string> tasks;    // task names or strata (l1, l2, l3), as written
  std::string task_config;           // optional eval registry config (strata, extra tasks)
  int shots = -1;                    // -1 = each task's default (gsm8k 5, others 0)
  int64_t limit = 0;                 // examples per task; 0 = all

  // Perplexity on held-out text (every point, fp baseline included).
  std::string ppl_text;
  int ppl_ctx = 2048;
  int64_t ppl_max_tokens = 0;        // 0 = whole text

  // Orchestration.
  std::string runner = "pipeline";   // "pipeline" (quantize+eval+ppl) or "synthetic" (tests)
  double synthetic_seconds = 0;      // synthetic runner: simulated work per point
  SlurmResources slurm;

  std::string store_path() const { return output_dir + "/results.db"; }
  std::string results_dir() const { return output_dir + "/results"; }
};

// Parses and validates a study file. `${shared}` in any path expands to qs::shared_dir();
// relative paths are resolved against the study file's folder. Throws qs::Error
// ("file:line:col", what) for malformed TOML, unknown keys, wrong types, duplicate grid
// values, unknown methods/tasks and missing model folders or text files.
Study load_study(const std::string& path);

// Replaces the output folder (command-line --output); relative to the working directory.
void set_output_dir(Study& study, const std::string& output_dir);

// Same, from text (tests); `origin` names the text in errors and anchors relative paths.
Study parse_study(const std::string& toml_text, const std::string& origin);

}  // namespace qs
