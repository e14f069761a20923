#pragma once
// Writes a GPTQ checkpoint folder that Transformers/optimum, AutoGPTQ/GPTQModel and vLLM load:
//   model.safetensors  every source tensor at its source precision (embeddings, norms, lm_head,
//                      biases), except each quantized linear's `.weight`, replaced by
//                      `.qweight` I32, `.qzeros` I32, `.scales` F16, `.g_idx` I32 (gptq_weight.h)
//   config.json        the source config with "torch_dtype": "float16" (the scales are fp16 and
//                      vLLM's non-Marlin gptq kernel takes fp16 activations only) plus
//                      "quantization_config" (quant_method "gptq", bits, group_size,
//                      damp_percent, desc_act, sym, true_sequential, static_groups,
//                      checkpoint_format "gptq", model_name_or_path, model_file_base_name), as
//                      the published TheBloke/AutoGPTQ records, and "meta": quantscale's record
//                      of the run (GPTQModel's convention: {"quantizer": ["quantscale:<version>"],
//                      "method", every quantizer option, "damp_used" per layer, the
//                      calibration}), which Transformers and vLLM ignore
//   quantize_config.json  the same fields without quant_method (AutoGPTQ reads this file)
//                      ("lm_head": true when the output projection is quantized: then stored
//                      untied as lm_head.qweight ..., "tie_word_embeddings": false)
//   tokenizer, chat-template, generation and custom-code (*.py) files copied as they are
//   (is_side_file).
// Everything is written into a sibling temporary folder that is renamed into place at the end:
// an interrupted run never leaves a half checkpoint under `out_dir`.
//
// What may be replaced (check_export_target): a missing or empty folder always; a non-empty
// folder only with `overwrite` and only when it holds kExportMarker (every export writes it, so
// a folder quantscale did not write is never deleted); never a file or symbolic link, never the
// source checkpoint's folder, a folder inside it or a folder that contains it (canonical paths).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "io/checkpoint.h"
#include "quant/gptq_weight.h"

namespace qs {

struct GptqExportConfig {
  int bits = 4;
  int group_size = 128;   // -1: per channel
  bool desc_act = false;  // act-order
  bool sym = true;
  double damp_percent = 0.01;  // requested; 0 < damp < 1 (quantize_model checks it)
  bool true_sequential = false;
  bool static_groups = false;
  // The output projection is quantized too (GPTQModel's "lm_head": true; it is then stored
  // untied, the embedding keeping the dense matrix of a tied source).
  bool lm_head = false;
  // The run, for "meta": method "gptq" | "rtn"; the grid search; the damping each linear's
  // Cholesky succeeded with (GPTQ only: raised from damp_percent after a failure); the
  // calibration (GPTQ only; 0 / empty: none).
  std::string method = "gptq";
  bool mse = false;
  double mse_norm = 2.4;
  int mse_grid = 100;
  double mse_maxshrink = 0.8;
  std::vector<std::pair<std::string, double>> damp_used;  // {"model.layers.0.self_attn.q_proj", 0.01}
  int64_t calib_samples = 0;
  int64_t seq_len = 0;
  uint64_t seed = 0;
  std::string calib_file;  // file name without its folder
};

struct ExportedLinear {
  std::string prefix;  // full tensor-name prefix: "model.layers.0.self_attn.q_proj"
  const GptqTensors* tensors = nullptr;
};

// The file every export writes into its folder: the licence for --overwrite to replace it.
inline constexpr const char* kExportMarker = ".quantscale-output";

// Throws qs::Error(out_dir, why) unless an export from `source_dir` may write `out_dir` (above).
// quantize runs it before quantizing, so a refused --out costs no work.
void check_export_target(const std::string& source_dir, const std::string& out_dir, bool overwrite);

// The "quantization_config" object (with quant_method when `with_method`), keys in the order the
// published records use.
std::string gptq_quantization_config_json(const GptqExportConfig& config, bool with_method);

// Whether a file of the source folder is copied beside the weights: tokenizer*, special tokens,
// vocabularies and merges, sentencepiece/tiktoken models, chat templates (*.jinja,
// chat_template.json), generation/processor configs and custom code (*.py, trust_remote_code).
bool is_side_file(const std::string& file_name);

// Throws qs::Error naming the file on any failure (the temporary folder is removed), or when
// check_export_target refuses `out_dir`.
void export_gptq_checkpoint(const Checkpoint& source, const std::vector<ExportedLinear>& linears,
                            const GptqExportConfig& config, const std::string& out_dir, bool overwrite = false);

}  // namespace qs
