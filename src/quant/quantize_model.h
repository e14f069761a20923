#pragma once
// The model-level quantizer: GPTQ (or RTN) applied layer by layer to a Hugging Face checkpoint,
// exported as a GPTQ checkpoint folder (gptq_export.h).
//
// GPTQ is layer-sequential as in the reference: the calibration windows are embedded once; for
// each decoder block, the inputs of its linears are the outputs of the already-quantized blocks
// before it. The block runs in stages, one per linear group ([q,k,v], [o], [gate,up], [down];
// Transformer::run_stage), each group's Hessian taken from its stage's input. With
// true-sequential that is one pass per block: Hessian of group g, quantize group g, run stage g
// with its quantized weights. Without it, the reference's order: every Hessian from the block
// with its original weights, then a pass through the quantized block for the next one's inputs.
// Linears of one group share their Hessian's factorization (factor_hessian).
//
// Per-layer output error ||W X - W_hat X||_F^2 is measured on held-out windows (disjoint from the
// calibration windows, carried through the same quantized prefix), for the chosen method and,
// on the same inputs, for RTN with the same grid (the baseline GPTQ must beat).
//
//   QuantizeOptions o; o.method = QuantMethod::Gptq; o.gptq.grid.bits = 4; o.calib_file = "...";
//   QuantizeReport r = quantize_model("models/x", o, "out/x-gptq-4b");
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/model_folder.h"
#include "model/transformer.h"
#include "quant/gptq.h"
#include "quant/gptq_export.h"
#include "quant/quant_method.h"
#include "quant/quantize_defaults.h"

namespace qs {

struct QuantizeOptions {
  QuantMethod method = QuantMethod::Gptq;  // Gptq or Rtn
  // grid (bits, sym, mse), group_size, act_order, static_groups, damp (0 < damp < 1, as
  // Transformers, optimum and AutoGPTQ require to load the checkpoint). Symmetric by default, as
  // AutoGPTQ, GPTQModel and Transformers' GPTQConfig: GPTQModel refuses an asymmetric v1
  // checkpoint from another quantizer and vLLM's Marlin kernels take symmetric ones only.
  GptqOptions gptq{.grid = {.sym = true}};
  bool true_sequential = false;
  // With true-sequential, the last group's input (the MLP's d_ff-wide activations, which the
  // down projection multiplies) is held for every calibration token only while that takes at
  // most this many bytes (tokens × d_ff × 4); above, each batch's is recomputed from the
  // d_model-wide one before it when needed (the gate/up stage runs twice; same codes, bit for
  // bit). Held per token then: 2 × d_model floats instead of d_model + d_ff. < 0: a quarter of
  // the machine's physical memory.
  int64_t activation_budget_bytes = -1;
  // Quantize the output projection too (GPTQ on the final-normed hidden states of the
  // calibration windows, or RTN), as GPTQModel's lm_head=True: decode then reads 4 bits per
  // output weight instead of 16 (at Qwen3-0.6B shapes the lm_head is 58 % of a GPTQ-4 step's
  // bytes). A tied model is exported untied (gptq_export.h). Off by default: the paper's
  // checkpoints, and Transformers' GPTQ loader, keep it dense.
  bool quantize_lm_head = false;
  // Shapes vLLM's gptq kernel cannot load (vllm_compat.h): an error instead of a warning.
  bool strict_vllm = false;
  std::string calib_file;       // text; required for gptq, optional for rtn (held-out errors only)
  // The calibration file already tokenized with the model's tokenizer (tokenize_file): callers
  // quantizing one model many times tokenize once. Empty: calib_file is read and tokenized.
  std::shared_ptr<const std::vector<int32_t>> calib_tokens;
  int64_t calib_samples = 128;  // Cb
  int64_t seq_len = 0;          // L; 0: min(2048, the model's context). L > context is an error
  uint64_t seed = 0;
  int64_t heldout_samples = kDefaultHeldoutSamples;  // windows for the per-layer output error (0: not measured)
  bool show_progress = true;
};

struct LayerReport {
  std::string name;               // "model.layers.3.mlp.down_proj"
  int64_t out_features = 0, in_features = 0;
  double output_error = -1;       // ||W X - W_hat X||_F^2 on held-out X (-1: not measured)
  double rtn_output_error = -1;   // the same for RTN with the same grid and X
  double reference_energy = -1;   // ||W X||_F^2, to make the errors relative
  double bits_per_weight = 0;     // (qweight + qzeros + scales) bits / weights
  double gptq_loss = 0;           // GPTQ's own objective on the calibration inputs
  int dead_columns = 0;
  int cholesky_retries = 0;
  double damp_used = 0;
};

struct QuantizeReport {
  std::vector<LayerReport> layers;
  double bits_per_weight = 0;       // over the quantized linears: (qweight + qzeros + scales) bits / weights
  int64_t quantized_bytes = 0;      // size of the model as exported (weights, all tensors)
  int64_t source_bytes = 0;         // size of the source checkpoint's tensors
  int64_t calibration_tokens = 0;
  bool streamed_mlp_inputs = false;  // activation_budget_bytes exceeded: down_proj inputs recomputed
  // Wall-clock phases, seconds: forward passes through the blocks (excluding the Hessian
  // accumulation they feed), X^T X accumulation, factorizations of H (dead inputs, act-order,
  // Cholesky; once per group), column updates, everything else in quantization (RTN baseline,
  // held-out errors, packing), loading + embedding + tokenization, export.
  double seconds_forward = 0, seconds_hessian = 0, seconds_cholesky = 0, seconds_columns = 0;
  double seconds_other = 0, seconds_prepare = 0, seconds_export = 0, seconds_total = 0;
  std::string json() const;  // the report as a JSON object (layers included)
};

// The quantized model in memory: every linear is a GptqWeight holding exactly the tensors the
// export writes, so it can be evaluated directly (no reload) or exported.
struct QuantizedModel {
  std::unique_ptr<Transformer> model;
  QuantizeReport report;
  GptqExportConfig export_config;
};

// Throws qs::Error for bad options (unknown method, bits, group size, Cb, L), unreadable inputs,
// non-finite weights/activations (naming the layer).
QuantizedModel quantize_in_memory(const std::string& model_dir, const QuantizeOptions& options);
// The same from a folder already opened (config, weights and quantization config read once).
QuantizedModel quantize_in_memory(ModelFolder folder, const QuantizeOptions& options);
// Writes the GPTQ checkpoint folder (atomically) and fills report's bytes and export time.
// `overwrite`: a non-empty out_dir that an earlier export wrote may be replaced (gptq_export.h).
void export_quantized(QuantizedModel& quantized, const std::string& out_dir, bool overwrite = false);
// Both: what `quantscale quantize` runs; out_dir is checked before any work.
QuantizeReport quantize_model(const std::string& model_dir, const QuantizeOptions& options, const std::string& out_dir,
                              bool overwrite = false);

// Peak resident set size of this process so far, bytes (for reports and benchmarks).
int64_t peak_rss_bytes();

}  // namespace qs
