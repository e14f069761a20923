#include "quant/quantize_model.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "core/blas.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/stage_timer.h"
#include "model/transformer.h"
#include "quant/calibration.h"
#include "quant/gptq_export.h"
#include "quant/gptq_weight.h"
#include "quant/hessian.h"
#include "quant/rtn.h"
#include "io/model_folder.h"
#include "quant/gptq_import.h"
#include "quant/vllm_compat.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

// Windows forwarded together (one GEMM over all their tokens): about 2048 rows per call.
struct WindowBatch {
  SequenceBatch layout;
  std::vector<float> hidden;  // [tokens, d_model], the input of the current block
  bool heldout = false;
};

// X^T X of one linear group's input (the input of its block stage), calibration and held-out
// windows apart.
struct GroupHessians {
  HessianAccumulator calibration, heldout;
  explicit GroupHessians(int64_t in_features) : calibration(in_features), heldout(in_features) {}
};

// "model.layers.3.mlp.down_proj"; a group: "model.layers.3.{mlp.gate_proj,mlp.up_proj}".
std::string group_label(const ModelConfig& config, int64_t layer, const std::vector<std::string>& names) {
  if (names.size() == 1) return config.layer_prefix(layer) + names[0];
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ",") + name;
  return config.layer_prefix(layer) + "{" + joined + "}";
}

// ||D X^T||_F^2 = sum_o d_o (X^T X) d_o^T for D [out, in] and gram = X^T X, in blocks of rows
// so the fp64 work space stays ~16 MB for the lm_head's 151,936 rows as for a 1024-row linear.
double output_error(const std::vector<float>& delta, int64_t out, int64_t in, const std::vector<double>& gram) {
  const int64_t block = std::max<int64_t>(1, (int64_t{1} << 20) / in);
  std::vector<double> d(static_cast<size_t>(std::min(out, block) * in)), product(d.size());
  double sum = 0;
  for (int64_t row = 0; row < out; row += block) {
    const int64_t rows = std::min(block, out - row);
    std::copy(delta.begin() + row * in, delta.begin() + (row + rows) * in, d.begin());
    blas::dgemm(blas::Trans::No, blas::Trans::No, static_cast<int>(rows), static_cast<int>(in), static_cast<int>(in), 1.0,
                d.data(), static_cast<int>(in), gram.data(), static_cast<int>(in), 0.0, product.data(),
                static_cast<int>(in));
    for (int64_t k = 0; k < rows * in; ++k) sum += d[k] * product[k];
  }
  return sum;
}

std::vector<float> difference(const std::vector<float>& w, const QuantizedLinear& q) {
  std::vector<float> dequantized(w.size());
  q.dequantize_rows(0, q.out_features, dequantized.data(), /*fp16_scales=*/true);
  for (size_t k = 0; k < w.size(); ++k) dequantized[k] = w[k] - dequantized[k];
  return dequantized;
}

// Shapes vLLM's gptq kernel refuses: a warning, or an error with strict_vllm. Marlin's extra
// limits only cost speed (vLLM falls back to gptq), so they are a note.
void check_vllm_shapes(const QuantizeOptions& o, const std::vector<VllmLinearShape>& shapes) {
  const VllmCompat compat = vllm_compat(o.gptq.grid.bits, o.gptq.group_size, o.gptq.grid.sym, shapes);
  std::string gptq, marlin;
  for (const auto& p : compat.gptq_problems) gptq += "\n  " + p;
  for (const auto& p : compat.marlin_problems) marlin += (marlin.empty() ? "" : "; ") + p;
  require(!o.strict_vllm || gptq.empty(), "quantize", "vLLM's gptq kernel cannot load this checkpoint (--strict-vllm):" + gptq);
  if (!gptq.empty()) std::fprintf(stderr, "warning: vLLM's gptq kernel cannot load this checkpoint:%s\n", gptq.c_str());
  if (!marlin.empty() && o.show_progress)
    std::fprintf(stderr, "note: vLLM will not use its gptq_marlin kernel for this checkpoint: %s\n", marlin.c_str());
}

void validate_options(const QuantizeOptions& o, const ModelConfig& config) {
  require(o.method != QuantMethod::Fp, "quantize", "method fp is the unquantized model; quantize with gptq or rtn");
  validate(o.gptq.grid, "quantize");
  require(o.gptq.group_size == -1 || o.gptq.group_size > 0, "quantize",
          "--group-size must be positive or -1, got " + std::to_string(o.gptq.group_size));
  // Transformers' GPTQConfig, optimum and AutoGPTQ refuse a checkpoint unless 0 < damp_percent < 1.
  require(o.gptq.damp > 0 && o.gptq.damp < 1, "quantize",
          "--damp must be strictly between 0 and 1 (loaders refuse other values), got " + std::to_string(o.gptq.damp));
  require(o.method == QuantMethod::Rtn || !o.calib_file.empty(), "quantize", "GPTQ needs calibration text (--calib FILE)");
  require(o.heldout_samples >= 0, "quantize", "held-out samples must be >= 0");
  if (!o.calib_file.empty()) {  // the cheap checks before tokenizing (sample_windows repeats them)
    require(o.calib_samples > 0, "quantize", "--calib-samples must be at least 1, got " + std::to_string(o.calib_samples));
    require(o.seq_len >= 0, "quantize", "--seq-len must be at least 1, got " + std::to_string(o.seq_len));
    require(o.seq_len <= config.max_position, "quantize",
            "--seq-len " + std::to_string(o.seq_len) + " exceeds the model's context window of " +
                std::to_string(config.max_position) + " tokens");
  }
  std::vector<VllmLinearShape> shapes;
  for (const auto& spec : config.arch->linears) {
    const auto [out, in] = config.linear_shape(spec.role);
    require(in % 32 == 0, std::string(spec.name),
            "in_features " + std::to_string(in) + " is not a multiple of 32, which the GPTQ format needs");
    shapes.push_back({std::string(spec.name), out, in});
  }
  check_vllm_shapes(o, shapes);
}

// The calibration and held-out windows (calibration.h), embedded once and grouped ~2048 tokens per
// forward call. Calibration windows only for GPTQ; held-out ones only when errors are measured.
struct CalibrationSet {
  std::vector<WindowBatch> batches;
  int64_t seq_len = 0;  // L (0: no calibration text)
};

CalibrationSet embed_windows(const std::string& model_dir, const Transformer& model, const QuantizeOptions& options,
                             bool gptq, bool measure) {
  CalibrationSet set;
  if (options.calib_file.empty()) return set;
  const ModelConfig& config = model.config();
  std::shared_ptr<const std::vector<int32_t>> tokens = options.calib_tokens;
  if (!tokens) tokens = std::make_shared<const std::vector<int32_t>>(tokenize_file(*Tokenizer::load(model_dir), options.calib_file));
  set.seq_len = options.seq_len > 0 ? options.seq_len : std::min<int64_t>(2048, config.max_position);
  const auto windows = sample_windows(*tokens, options.calib_samples, set.seq_len, options.seed, config.max_position,
                                      measure ? options.heldout_samples : 0, options.calib_file);
  const size_t per_batch = static_cast<size_t>(std::max<int64_t>(1, 2048 / set.seq_len));
  auto add_batches = [&](const std::vector<std::vector<int32_t>>& list, bool heldout) {
    for (size_t first = 0; first < list.size(); first += per_batch) {
      WindowBatch batch;
      batch.heldout = heldout;
      std::vector<int32_t> concatenated;
      for (size_t w = first; w < std::min(list.size(), first + per_batch); ++w) {
        concatenated.insert(concatenated.end(), list[w].begin(), list[w].end());
        batch.layout.push_back(SequenceSpan{static_cast<int64_t>(list[w].size()), nullptr, false});
      }
      batch.hidden = model.embed(concatenated);
      set.batches.push_back(std::move(batch));
    }
  };
  if (gptq) add_batches(windows.calibration, false);
  add_batches(windows.heldout, true);
  return set;
}

// GPTQ (or RTN) block by block, each block's linears in groups that read one input ([q,k,v], [o],
// [gate,up], [down]; Transformer::linear_groups), on the calibration windows carried through the
// blocks already quantized. Fills the report's layers and forward / Hessian / factorization /
// columns / other seconds.
class LayerSequentialQuantizer {
 public:
  LayerSequentialQuantizer(Transformer& model, const QuantizeOptions& options, QuantizeReport& report)
      : model_(model), config_(model.config()), options_(options), report_(report), groups_(model.linear_groups()),
        gptq_(options.method == QuantMethod::Gptq), measure_(!options.calib_file.empty() && options.heldout_samples > 0),
        need_last_output_(options.quantize_lm_head && (gptq_ || measure_)) {
    gptq_options_ = options.gptq;
    gptq_options_.grid.min_zero = 1;  // the v1 checkpoint cannot store zero = 0
  }

  bool gptq() const { return gptq_; }
  bool measure() const { return measure_; }
  // (qweight + qzeros + scales) bits per quantized weight so far.
  double bits_per_weight() const {
    return quantized_weights_ > 0 ? static_cast<double>(quantized_bits_) / static_cast<double>(quantized_weights_) : 0;
  }

  // Block `layer` quantized; batches' hidden states become the next block's input (not computed
  // after the last block).
  void quantize_block(int64_t layer, std::vector<WindowBatch>& batches) {
    std::vector<GroupHessians> hessians;
    for (const auto& group : groups_) hessians.emplace_back(model_.linear(layer, group[0]).in_features());
    if (options_.true_sequential)
      quantize_block_true_sequential(layer, batches, hessians);
    else
      quantize_block_reference_order(layer, batches, hessians);
  }

  // The output projection, from the final-normed output of the last block (after every block
  // is quantized: GPTQModel's order), then installed in the model (untying a tied one).
  void quantize_lm_head(std::vector<WindowBatch>& batches) {
    const int64_t d_model = config_.d_model;
    GroupHessians hessians(d_model);
    {
      StageTimer timer(report_.seconds_forward);
      for (auto& batch : batches) model_.finish(batch.hidden, batch.layout);
    }
    {
      StageTimer timer(report_.seconds_hessian);
      for (const auto& batch : batches)
        (batch.heldout ? hessians.heldout : hessians.calibration).add(batch.hidden.data(), total_tokens(batch.layout));
    }
    const std::string name = config_.lm_head_prefix();
    quantize_from(hessians, name, [&](const GptqFactorization* factorization, const HeldOut& heldout) {
      double columns_seconds = 0;
      model_.replace_lm_head(quantize_weight(model_.lm_head(), name, factorization, heldout, columns_seconds));
      return columns_seconds;
    });
  }

 private:
  // One pass through the block: stage g runs on every batch once group g is quantized, so group
  // g + 1's input already goes through the quantized groups before it. The last stage's output
  // is the next block's input (the last layer's only for the lm_head).
  void quantize_block_true_sequential(int64_t layer, std::vector<WindowBatch>& batches,
                                      std::vector<GroupHessians>& hessians) {
    const bool last_layer = layer + 1 == config_.n_layers && !need_last_output_;
    const int n_groups = static_cast<int>(groups_.size());
    const int streamed = stream_last_input(batches) ? n_groups - 1 : -1;  // a group whose input is not held
    std::vector<Transformer::BlockState> states;
    {
      StageTimer timer(report_.seconds_forward);
      for (auto& batch : batches) states.push_back(model_.begin_block(layer, std::move(batch.hidden), batch.layout));
    }
    for (int g = 0; g < n_groups; ++g) {
      for (size_t b = 0; b < batches.size(); ++b) {
        if (g != streamed) {
          collect(states[b], batches[b], hessians[g]);
          continue;
        }
        Transformer::BlockState ahead = states[b];  // one batch's input of group g, then dropped
        advance(layer, ahead, batches[b]);
        collect(ahead, batches[b], hessians[g]);
      }
      quantize_group(layer, g, hessians[g]);
      if (g + 1 == streamed) continue;  // the states stay at group g + 1's (narrower) predecessor
      const int stages = g == streamed ? 2 : 1;  // a streamed group's own input first, again
      if (!last_layer || g + 1 < n_groups)
        for (size_t b = 0; b < batches.size(); ++b)
          for (int stage = 0; stage < stages; ++stage) advance(layer, states[b], batches[b]);
    }
    for (size_t b = 0; b < batches.size(); ++b) batches[b].hidden = std::move(states[b].hidden);
  }

  // Whether holding the last group's input (d_ff floats per token) for every batch would exceed
  // the activation budget (QuantizeOptions::activation_budget_bytes).
  bool stream_last_input(const std::vector<WindowBatch>& batches) {
    int64_t tokens = 0;
    for (const auto& batch : batches) tokens += total_tokens(batch.layout);
    const int64_t width = model_.linear(0, groups_.back()[0]).in_features();
    int64_t budget = options_.activation_budget_bytes;
    if (budget < 0) budget = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE) / 4;
    const bool stream = tokens * width * static_cast<int64_t>(sizeof(float)) > budget;
    report_.streamed_mlp_inputs = report_.streamed_mlp_inputs || stream;
    return stream;
  }

  // The reference's order: every group's Hessian from the block with its original weights (the
  // last stage's output is not needed), then the quantized block's outputs.
  void quantize_block_reference_order(int64_t layer, std::vector<WindowBatch>& batches,
                                      std::vector<GroupHessians>& hessians) {
    const int n_groups = static_cast<int>(groups_.size());
    for (const auto& batch : batches) {
      auto state = [&] {
        StageTimer timer(report_.seconds_forward);
        return model_.begin_block(layer, batch.hidden, batch.layout);
      }();
      for (int g = 0; g < n_groups; ++g) {
        collect(state, batch, hessians[g]);
        if (g + 1 < n_groups) advance(layer, state, batch);
      }
    }
    for (int g = 0; g < n_groups; ++g) quantize_group(layer, g, hessians[g]);
    StageTimer timer(report_.seconds_forward);
    if (layer + 1 < config_.n_layers || need_last_output_)
      for (auto& batch : batches) model_.forward_block(layer, batch.hidden, batch.layout);
  }

  // The input of the state's next stage into the group's Hessian, H += X^T X.
  void collect(Transformer::BlockState& state, const WindowBatch& batch, GroupHessians& hessians) {
    StageTimer timer(report_.seconds_hessian);
    (batch.heldout ? hessians.heldout : hessians.calibration).add(state.input.data(), total_tokens(batch.layout));
  }

  // The state's next stage (with the weights it has now).
  void advance(int64_t layer, Transformer::BlockState& state, const WindowBatch& batch) {
    StageTimer timer(report_.seconds_forward);
    model_.run_stage(layer, state, batch.layout);
  }

  // The held-out windows' 2/n X^T X and n/2, for ||D X^T||_F^2 = n/2 * sum_o d_o H d_o^T.
  struct HeldOut {
    std::vector<double> gram;
    double to_sum = 0;
  };

  // The linears of group `g` of `layer` from their input's Hessian: one factorization of H per
  // group (the linears read the same input), then GPTQ's column sweep per linear.
  void quantize_group(int64_t layer, int g, const GroupHessians& hessians) {
    quantize_from(hessians, group_label(config_, layer, groups_[g]),
                  [&](const GptqFactorization* factorization, const HeldOut& heldout) {
                    double columns_seconds = 0;
                    for (const auto& name : groups_[g]) columns_seconds += quantize_linear(layer, name, factorization, heldout);
                    return columns_seconds;
                  });
  }

  // H factored once (GPTQ; RTN: no factorization) and the held-out Gram matrix, then
  // quantize(factorization or null, held-out) → GPTQ's column seconds; every phase's seconds
  // go to the report.
  template <class Quantize>
  void quantize_from(const GroupHessians& hessians, const std::string& label, const Quantize& quantize) {
    const auto start = StageTimer::now();
    std::optional<GptqFactorization> factorization;
    if (gptq_) {
      factorization = factor_hessian(hessians.calibration.hessian(label), hessians.calibration.in_features(),
                                     gptq_options_, label);
      report_.seconds_cholesky += factorization->seconds;
    }
    HeldOut heldout;
    if (measure_) heldout = {hessians.heldout.hessian(label), static_cast<double>(hessians.heldout.tokens()) / 2};
    const double columns_seconds = quantize(factorization ? &*factorization : nullptr, heldout);
    report_.seconds_columns += columns_seconds;
    report_.seconds_other += seconds_since(start) - columns_seconds - (factorization ? factorization->seconds : 0);
  }

  // One linear quantized (GPTQ with `factorization`, or RTN when it is null), its report entry
  // written and the model's weight replaced by the packed result. Returns GPTQ's column seconds.
  double quantize_linear(int64_t layer, const std::string& name, const GptqFactorization* factorization,
                         const HeldOut& heldout) {
    double columns_seconds = 0;
    model_.replace_linear(layer, name,
                          quantize_weight(model_.linear(layer, name), config_.layer_prefix(layer) + name, factorization,
                                          heldout, columns_seconds));
    return columns_seconds;
  }

  // `current` quantized and packed, its report entry written; GPTQ's column seconds added to
  // `columns_seconds`.
  std::unique_ptr<GptqWeight> quantize_weight(const WeightMatrix& current, const std::string& full_name,
                                              const GptqFactorization* factorization, const HeldOut& heldout,
                                              double& columns_seconds) {
    const int64_t out = current.out_features(), in = current.in_features();
    std::vector<float> w(out * in);
    current.rows_to_f32(0, out, w.data());
    LayerReport entry;
    entry.name = full_name;
    entry.out_features = out;
    entry.in_features = in;
    // RTN is the result for --method rtn and the baseline of the held-out error for gptq.
    QuantizedLinear rtn;
    if (!factorization || measure_)
      rtn = rtn_quantize(w.data(), out, in, gptq_options_.grid, gptq_options_.group_size, full_name);
    QuantizedLinear q;
    GptqStats stats;
    if (factorization) {
      q = gptq_quantize(w.data(), out, in, *factorization, gptq_options_, full_name, &stats);
      entry.gptq_loss = stats.loss;
      entry.dead_columns = stats.dead_columns;
      entry.cholesky_retries = stats.cholesky_retries;
      entry.damp_used = stats.damp_used;
    } else {
      q = std::move(rtn);
    }
    if (measure_) {
      entry.output_error = heldout.to_sum * output_error(difference(w, q), out, in, heldout.gram);
      if (factorization) entry.rtn_output_error = heldout.to_sum * output_error(difference(w, rtn), out, in, heldout.gram);
      else entry.rtn_output_error = entry.output_error;
      entry.reference_energy = heldout.to_sum * output_error(w, out, in, heldout.gram);
    }
    auto weight = std::make_unique<GptqWeight>(pack_gptq(q, options_.gptq.group_size, full_name), full_name);
    quantized_bits_ += weight->stored_bytes() * 8;
    entry.bits_per_weight = weight->bits_per_weight();
    quantized_weights_ += out * in;
    report_.layers.push_back(entry);
    columns_seconds += stats.seconds_columns;
    return weight;
  }

  Transformer& model_;
  const ModelConfig& config_;
  const QuantizeOptions& options_;
  QuantizeReport& report_;
  const std::vector<std::vector<std::string>> groups_;
  const bool gptq_, measure_;
  const bool need_last_output_;  // the lm_head's input: the last block's output, final-normed
  GptqOptions gptq_options_;
  int64_t quantized_bits_ = 0, quantized_weights_ = 0;
};

// What the checkpoint's quantize_config.json records (gptq_export.h).
GptqExportConfig export_config_of(const QuantizeOptions& options, const QuantizeReport& report, bool gptq,
                                  int64_t calibration_seq_len) {
  GptqExportConfig e;
  e.bits = options.gptq.grid.bits;
  e.group_size = options.gptq.group_size;
  e.desc_act = gptq && options.gptq.act_order;
  e.sym = options.gptq.grid.sym;
  e.mse = options.gptq.grid.mse;
  e.mse_norm = options.gptq.grid.mse_norm;
  e.mse_grid = options.gptq.grid.mse_grid;
  e.mse_maxshrink = options.gptq.grid.mse_maxshrink;
  e.damp_percent = options.gptq.damp;
  if (gptq)
    for (const auto& layer : report.layers) e.damp_used.emplace_back(layer.name, layer.damp_used);
  e.true_sequential = gptq && options.true_sequential;
  e.static_groups = gptq && options.gptq.static_groups;
  e.lm_head = options.quantize_lm_head;
  e.method = method_name(options.method);
  if (gptq) {
    e.calib_samples = options.calib_samples;
    e.seq_len = calibration_seq_len;
    e.seed = options.seed;
    e.calib_file = std::filesystem::path(options.calib_file).filename().string();
  }
  return e;
}

}  // namespace

int64_t peak_rss_bytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

QuantizedModel quantize_in_memory(const std::string& model_dir, const QuantizeOptions& options) {
  return quantize_in_memory(ModelFolder::open(model_dir), options);
}

QuantizedModel quantize_in_memory(ModelFolder folder, const QuantizeOptions& options) {
  const auto start = StageTimer::now();
  QuantizedModel result;
  QuantizeReport& report = result.report;
  const std::string model_dir = folder.dir();
  require(!folder.gptq(), model_dir, "is already a GPTQ checkpoint; quantize the dense model");
  auto model = Transformer::load(std::move(folder).take_checkpoint());
  const ModelConfig& config = model->config();
  validate_options(options, config);
  LayerSequentialQuantizer quantizer(*model, options, report);
  CalibrationSet calibration = embed_windows(model_dir, *model, options, quantizer.gptq(), quantizer.measure());
  report.calibration_tokens = quantizer.gptq() ? options.calib_samples * calibration.seq_len : 0;
  report.seconds_prepare = seconds_since(start);

  std::optional<Progress> progress;
  if (options.show_progress) progress.emplace("quantize (" + method_name(options.method) + ")", config.n_layers, "layer");
  for (int64_t layer = 0; layer < config.n_layers; ++layer) {
    quantizer.quantize_block(layer, calibration.batches);
    if (progress) progress->advance();
  }
  if (options.quantize_lm_head) quantizer.quantize_lm_head(calibration.batches);
  if (progress) progress->finish();
  report.bits_per_weight = quantizer.bits_per_weight();
  result.export_config = export_config_of(options, report, quantizer.gptq(), calibration.seq_len);
  report.seconds_total = seconds_since(start);
  result.model = std::move(model);
  return result;
}

void export_quantized(QuantizedModel& quantized, const std::string& out_dir, bool overwrite) {
  const auto start = StageTimer::now();
  const Transformer& model = *quantized.model;
  const ModelConfig& config = model.config();
  QuantizeReport& report = quantized.report;
  std::vector<ExportedLinear> exported;
  for (int64_t layer = 0; layer < config.n_layers; ++layer)
    for (const auto& group : model.linear_groups())
      for (const auto& name : group) {
        const auto* weight = dynamic_cast<const GptqWeight*>(&model.linear(layer, name));
        require(weight != nullptr, config.layer_prefix(layer) + name, "not quantized");
        exported.push_back({config.layer_prefix(layer) + name, &weight->tensors()});
      }
  if (quantized.export_config.lm_head) {
    const auto* head = dynamic_cast<const GptqWeight*>(&model.lm_head());
    require(head != nullptr, config.lm_head_prefix(), "not quantized");
    exported.push_back({config.lm_head_prefix(), &head->tensors()});
  }
  export_gptq_checkpoint(model.checkpoint(), exported, quantized.export_config, out_dir, overwrite);

  const Checkpoint& source = model.checkpoint();
  report.source_bytes = 0;
  for (const auto& name : source.tensor_names()) report.source_bytes += static_cast<int64_t>(source.get(name).n_bytes);
  report.quantized_bytes = report.source_bytes;
  for (const auto& e : exported) {
    const GptqTensors& t = *e.tensors;
    // A tied lm_head adds its packed tensors; the embedding keeps the dense matrix.
    if (!(e.prefix == config.lm_head_prefix() && config.tie_word_embeddings))
      report.quantized_bytes -= static_cast<int64_t>(source.get(e.prefix + ".weight").n_bytes);
    report.quantized_bytes +=
        static_cast<int64_t>(4 * (t.qweight.size() + t.qzeros.size() + t.g_idx.size()) + 2 * t.scales.size());
  }
  report.seconds_export = seconds_since(start);
  report.seconds_total += report.seconds_export;
}

QuantizeReport quantize_model(const std::string& model_dir, const QuantizeOptions& options, const std::string& out_dir,
                              bool overwrite) {
  check_export_target(model_dir, out_dir, overwrite);
  QuantizedModel quantized = quantize_in_memory(model_dir, options);
  export_quantized(quantized, out_dir, overwrite);
  return quantized.report;
}

std::string QuantizeReport::json() const {
  nlohmann::ordered_json j;
  j["bits_per_weight"] = bits_per_weight;
  j["quantized_bytes"] = quantized_bytes;
  j["source_bytes"] = source_bytes;
  j["calibration_tokens"] = calibration_tokens;
  j["streamed_mlp_inputs"] = streamed_mlp_inputs;
  j["seconds"] = {{"prepare", seconds_prepare}, {"forward", seconds_forward},   {"hessian", seconds_hessian},
                  {"cholesky", seconds_cholesky}, {"columns", seconds_columns}, {"other", seconds_other},
                  {"export", seconds_export},   {"total", seconds_total}};
  for (const auto& l : layers)
    j["layers"].push_back({{"name", l.name},
                           {"out_features", l.out_features},
                           {"in_features", l.in_features},
                           {"output_error", l.output_error},
                           {"rtn_output_error", l.rtn_output_error},
                           {"reference_energy", l.reference_energy},
                           {"bits_per_weight", l.bits_per_weight},
                           {"gptq_loss", l.gptq_loss},
                           {"dead_columns", l.dead_columns},
                           {"cholesky_retries", l.cholesky_retries},
                           {"damp_used", l.damp_used}});
  return j.dump(2);
}

}  // namespace qs
