#include "quant/quantize_model.h"

#include <sys/resource.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "core/blas.h"
#include "core/error.h"
#include "core/progress.h"
#include "model/transformer.h"
#include "quant/calibration.h"
#include "quant/gptq_export.h"
#include "quant/gptq_weight.h"
#include "quant/hessian.h"
#include "quant/model_loader.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Windows forwarded together (one GEMM over all their tokens): about 2048 rows per call.
struct WindowBatch {
  SequenceBatch layout;
  std::vector<float> hidden;  // [tokens, d_model], the input of the current block
  bool heldout = false;
};

// Collects X^T X of the linears of one group from the inputs the block passes them. Linears of
// one true-sequential group read the same input ([q,k,v], [gate,up]); they share one
// accumulator, detected by the identical input pointer of consecutive calls.
class HessianCollector : public LinearObserver {
 public:
  struct Slot {
    std::shared_ptr<HessianAccumulator> calibration, heldout;
  };
  HessianCollector(const std::vector<std::string>& names, const std::map<std::string, int>& group_of)
      : group_of_(group_of) {
    for (const auto& name : names) slots_[name];
  }
  bool heldout = false;
  double seconds = 0;

  void observe(int64_t layer, std::string_view name_view, const float* x, int64_t rows, int64_t cols) override {
    const std::string name(name_view);
    auto it = slots_.find(name);
    const bool same_input = x == last_x_ && rows == last_rows_ && cols == last_cols_ && group_of_.at(name) == last_group_;
    const std::string previous = last_name_;
    last_x_ = x, last_rows_ = rows, last_cols_ = cols, last_group_ = group_of_.at(name), last_name_ = name;
    if (it == slots_.end()) return;
    Slot& slot = it->second;
    if (!slot.calibration) {
      auto shared = same_input ? slots_.find(previous) : slots_.end();
      if (shared != slots_.end() && shared->second.calibration) {
        slot = shared->second;
        aliased_.insert({name, previous});
      } else {
        slot.calibration = std::make_shared<HessianAccumulator>(cols);
        slot.heldout = std::make_shared<HessianAccumulator>(cols);
      }
    }
    if (aliased_.count(name)) {
      require(same_input, "layer " + std::to_string(layer) + " " + name, "inputs shared with '" + aliased_[name] +
                                                                             "' on the first batch differ later");
      return;  // already added through the linear it shares its input with
    }
    auto start = Clock::now();
    (heldout ? slot.heldout : slot.calibration)->add(x, rows);
    seconds += seconds_since(start);
  }
  const Slot& slot(const std::string& name) const {
    auto it = slots_.find(name);
    require(it != slots_.end() && it->second.calibration, name, "the forward pass never reached this linear");
    return it->second;
  }

 private:
  const std::map<std::string, int>& group_of_;
  std::map<std::string, Slot> slots_;
  std::map<std::string, std::string> aliased_;
  const float* last_x_ = nullptr;
  int64_t last_rows_ = -1, last_cols_ = -1;
  int last_group_ = -1;
  std::string last_name_;
};

// ||D X^T||_F^2 = sum_o d_o (X^T X) d_o^T for D [out, in] and gram = X^T X.
double output_error(const std::vector<float>& delta, int64_t out, int64_t in, const std::vector<double>& gram) {
  std::vector<double> d(delta.begin(), delta.end()), product(out * in);
  blas::dgemm(blas::Trans::No, blas::Trans::No, static_cast<int>(out), static_cast<int>(in), static_cast<int>(in), 1.0,
              d.data(), static_cast<int>(in), gram.data(), static_cast<int>(in), 0.0, product.data(), static_cast<int>(in));
  double sum = 0;
  for (int64_t k = 0; k < out * in; ++k) sum += d[k] * product[k];
  return sum;
}

std::vector<float> difference(const std::vector<float>& w, const QuantizedLinear& q) {
  std::vector<float> dequantized(w.size());
  q.dequantize_rows(0, q.out_features, dequantized.data(), /*fp16_scales=*/true);
  for (size_t k = 0; k < w.size(); ++k) dequantized[k] = w[k] - dequantized[k];
  return dequantized;
}

void validate_options(const QuantizeOptions& o, const ModelConfig& config) {
  require(o.method == "gptq" || o.method == "rtn", "quantize", "unknown method '" + o.method + "' (gptq or rtn)");
  validate(o.gptq.grid, "quantize");
  require(o.gptq.group_size == -1 || o.gptq.group_size > 0, "quantize",
          "--group-size must be positive or -1, got " + std::to_string(o.gptq.group_size));
  require(o.gptq.damp >= 0 && o.gptq.damp <= 1, "quantize", "--damp must be in [0, 1]");
  require(o.method == "rtn" || !o.calib_file.empty(), "quantize", "GPTQ needs calibration text (--calib FILE)");
  require(o.heldout_samples >= 0, "quantize", "held-out samples must be >= 0");
  if (!o.calib_file.empty()) {  // the cheap checks before tokenizing (sample_windows repeats them)
    require(o.calib_samples > 0, "quantize", "--calib-samples must be at least 1, got " + std::to_string(o.calib_samples));
    require(o.seq_len >= 0, "quantize", "--seq-len must be at least 1, got " + std::to_string(o.seq_len));
    require(o.seq_len <= config.max_position, "quantize",
            "--seq-len " + std::to_string(o.seq_len) + " exceeds the model's context window of " +
                std::to_string(config.max_position) + " tokens");
  }
  for (const auto& spec : config.arch->linears) {
    const auto [out, in] = config.linear_shape(spec.role);
    require(in % 32 == 0, std::string(spec.name),
            "in_features " + std::to_string(in) + " is not a multiple of 32, which the GPTQ format needs");
    (void)out;
  }
}

}  // namespace

int64_t peak_rss_bytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

QuantizedModel quantize_in_memory(const std::string& model_dir, const QuantizeOptions& options) {
  const auto total_start = Clock::now();
  auto start = total_start;
  QuantizedModel result;
  QuantizeReport& report = result.report;
  require(!gptq_format_of(model_dir), model_dir, "is already a GPTQ checkpoint; quantize the dense model");
  auto model = Transformer::load(model_dir);
  const ModelConfig& config = model->config();
  validate_options(options, config);
  const bool gptq = options.method == "gptq";
  GptqOptions gptq_options = options.gptq;
  gptq_options.grid.min_zero = 1;  // the v1 checkpoint cannot store zero = 0

  // Calibration and held-out windows, embedded once, grouped ~2048 tokens per forward call.
  std::vector<WindowBatch> batches;
  const bool measure = !options.calib_file.empty() && options.heldout_samples > 0;
  if (!options.calib_file.empty()) {
    std::shared_ptr<const std::vector<int32_t>> tokens = options.calib_tokens;
    if (!tokens) tokens = std::make_shared<const std::vector<int32_t>>(tokenize_file(*Tokenizer::load(model_dir), options.calib_file));
    const int64_t seq_len = options.seq_len > 0 ? options.seq_len : std::min<int64_t>(2048, config.max_position);
    const auto windows = sample_windows(*tokens, options.calib_samples, seq_len, options.seed, config.max_position,
                                        measure ? options.heldout_samples : 0, options.calib_file);
    const int64_t per_batch = std::max<int64_t>(1, 2048 / seq_len);
    auto add_batches = [&](const std::vector<std::vector<int32_t>>& list, bool heldout) {
      for (size_t first = 0; first < list.size(); first += per_batch) {
        WindowBatch batch;
        batch.heldout = heldout;
        std::vector<int32_t> concatenated;
        for (size_t w = first; w < std::min(list.size(), first + per_batch); ++w) {
          concatenated.insert(concatenated.end(), list[w].begin(), list[w].end());
          batch.layout.push_back(SequenceSpan{static_cast<int64_t>(list[w].size()), nullptr, false});
        }
        batch.hidden = model->embed(concatenated);
        batches.push_back(std::move(batch));
      }
    };
    if (gptq) add_batches(windows.calibration, false);
    add_batches(windows.heldout, true);
    report.calibration_tokens = gptq ? options.calib_samples * seq_len : 0;
  }
  report.seconds_prepare = seconds_since(start);

  const auto groups = model->linear_groups();
  std::map<std::string, int> group_of;
  for (size_t g = 0; g < groups.size(); ++g)
    for (const auto& name : groups[g]) group_of[name] = static_cast<int>(g);
  std::vector<std::vector<std::string>> plan = groups;
  if (!options.true_sequential) {
    plan.assign(1, {});
    for (const auto& group : groups) plan[0].insert(plan[0].end(), group.begin(), group.end());
  }

  std::optional<Progress> progress;
  if (options.show_progress) progress.emplace("quantize (" + options.method + ")", config.n_layers, "layer");
  int64_t quantized_bits = 0, quantized_weights = 0;
  for (int64_t layer = 0; layer < config.n_layers; ++layer) {
    for (const auto& group : plan) {
      HessianCollector collector(group, group_of);
      start = Clock::now();
      for (const auto& batch : batches) {
        collector.heldout = batch.heldout;
        std::vector<float> hidden = batch.hidden;
        model->forward_block(layer, hidden, batch.layout, &collector);
      }
      report.seconds_forward += seconds_since(start) - collector.seconds;
      report.seconds_hessian += collector.seconds;

      for (const auto& name : group) {
        const auto quant_start = Clock::now();
        const std::string full_name = config.layer_prefix(layer) + name;
        const WeightMatrix& current = model->linear(layer, name);
        const int64_t out = current.out_features(), in = current.in_features();
        std::vector<float> w(out * in);
        current.rows_to_f32(0, out, w.data());
        LayerReport entry;
        entry.name = full_name;
        entry.out_features = out;
        entry.in_features = in;
        QuantizedLinear q;
        const QuantizedLinear rtn = rtn_quantize(w.data(), out, in, gptq_options.grid, gptq_options.group_size, full_name);
        double gptq_seconds = 0;
        if (gptq) {
          GptqStats stats;
          q = gptq_quantize(w.data(), out, in, collector.slot(name).calibration->hessian(full_name), gptq_options,
                            full_name, &stats);
          entry.gptq_loss = stats.loss;
          entry.dead_columns = stats.dead_columns;
          entry.cholesky_retries = stats.cholesky_retries;
          entry.damp_used = stats.damp_used;
          report.seconds_cholesky += stats.seconds_cholesky;
          report.seconds_columns += stats.seconds_columns;
          gptq_seconds = stats.seconds_cholesky + stats.seconds_columns;
        } else {
          q = rtn;
        }
        if (measure) {
          const auto& heldout = *collector.slot(name).heldout;
          std::vector<double> gram = heldout.hessian(full_name);  // 2/n X^T X
          const double to_sum = static_cast<double>(heldout.tokens()) / 2;
          entry.output_error = to_sum * output_error(difference(w, q), out, in, gram);
          entry.rtn_output_error = to_sum * output_error(difference(w, rtn), out, in, gram);
          entry.reference_energy = to_sum * output_error(w, out, in, gram);
        }
        auto weight = std::make_unique<GptqWeight>(pack_gptq(q, options.gptq.group_size, full_name), full_name);
        quantized_bits += weight->stored_bytes() * 8;
        entry.bits_per_weight = weight->bits_per_weight();
        quantized_weights += out * in;
        model->replace_linear(layer, name, std::move(weight));
        report.layers.push_back(entry);
        report.seconds_other += seconds_since(quant_start) - gptq_seconds;
      }
    }
    // The quantized block's outputs are the next block's inputs.
    start = Clock::now();
    if (layer + 1 < config.n_layers)
      for (auto& batch : batches) model->forward_block(layer, batch.hidden, batch.layout);
    report.seconds_forward += seconds_since(start);
    if (progress) progress->advance();
  }
  if (progress) progress->finish();
  report.bits_per_weight = quantized_weights > 0 ? static_cast<double>(quantized_bits) / quantized_weights : 0;

  result.export_config = GptqExportConfig{options.gptq.grid.bits, options.gptq.group_size, gptq && options.gptq.act_order,
                                          options.gptq.grid.sym,  options.gptq.damp,       gptq && options.true_sequential,
                                          gptq && options.gptq.static_groups};
  report.seconds_total = seconds_since(total_start);
  result.model = std::move(model);
  return result;
}

void export_quantized(QuantizedModel& quantized, const std::string& out_dir) {
  const auto start = Clock::now();
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
  export_gptq_checkpoint(model.checkpoint(), exported, quantized.export_config, out_dir);

  const Checkpoint& source = model.checkpoint();
  report.source_bytes = 0;
  for (const auto& name : source.tensor_names()) report.source_bytes += static_cast<int64_t>(source.get(name).n_bytes);
  report.quantized_bytes = report.source_bytes;
  for (const auto& e : exported) {
    const GptqTensors& t = *e.tensors;
    report.quantized_bytes -= static_cast<int64_t>(source.get(e.prefix + ".weight").n_bytes);
    report.quantized_bytes +=
        static_cast<int64_t>(4 * (t.qweight.size() + t.qzeros.size() + t.g_idx.size()) + 2 * t.scales.size());
  }
  report.seconds_export = std::chrono::duration<double>(Clock::now() - start).count();
  report.seconds_total += report.seconds_export;
}

QuantizeReport quantize_model(const std::string& model_dir, const QuantizeOptions& options, const std::string& out_dir) {
  QuantizedModel quantized = quantize_in_memory(model_dir, options);
  export_quantized(quantized, out_dir);
  return quantized.report;
}

std::string QuantizeReport::json() const {
  nlohmann::ordered_json j;
  j["bits_per_weight"] = bits_per_weight;
  j["quantized_bytes"] = quantized_bytes;
  j["source_bytes"] = source_bytes;
  j["calibration_tokens"] = calibration_tokens;
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
