#pragma once
// The measuring side of bench/point_bench.cpp: a stage's wall / CPU seconds, FLOPs and peak RSS
// (StageMeter), a language model that counts the FLOPs of the requests it serves (MeteredLM),
// GPTQ's FLOPs per phase, and the table of stages as benchmark counters and as markdown.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "bench_support.h"
#include "core/stage_timer.h"
#include "model/transformer_lm.h"
#include "quant/quantize_model.h"

namespace qs::bench_support {

struct GenerationCounts {
  int64_t tokens = 0;    // generated
  int64_t calls = 0;     // generate_until calls (the evaluator's batches)
  int64_t requests = 0;  // sequences over all calls
  double wall = 0;       // seconds inside generate_until (prefill of the contexts included)
};

struct StageRow {
  std::string stage;
  double wall = 0, cpu = 0;
  double flops32 = 0, flops64 = 0;  // fp32 (sgemm-like) and fp64 (dgemm-like) FLOPs
  double peak_rss = -1;             // bytes; -1: not measured apart (a phase of the row above)
  int64_t docs = 0, docs_available = 0;
  GenerationCounts generation;
};

// Measures from its construction: resets the peak RSS, reads the clocks.
class StageMeter {
 public:
  StageMeter();
  double wall_seconds() const { return seconds_since(start_); }
  StageRow finish(std::string stage, double flops32, double flops64) const;

 private:
  SteadyClock::time_point start_;
  double cpu_start_;
};

// GPTQ's FLOPs per phase for `windows` windows of `seq_len` tokens (calibration + held-out),
// reference order (quantize_model.h): every linear's shape from the quantized model.
struct GptqFlops {
  double forward = 0, hessian = 0;            // fp32
  double cholesky = 0, columns = 0, other = 0;  // fp64
  double fp32() const { return forward + hessian; }
  double fp64() const { return cholesky + columns + other; }
};
GptqFlops gptq_flops(const Transformer& model, int64_t windows, int64_t seq_len);

// Disjoint windows of `ctx` over `scored` + (one unscored first token per window) tokens, every
// scored row through the lm_head.
double perplexity_flops(const ForwardFlops& model, int64_t scored, int64_t ctx);

// A TransformerLM that counts the FLOPs of what it computes (ForwardFlops; a context shared by
// several requests of one call once, as TransformerLM computes it) and its generations.
class MeteredLM : public LanguageModel {
 public:
  explicit MeteredLM(std::unique_ptr<TransformerLM> inner);
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& requests) override;
  std::vector<std::vector<int32_t>> generate_until(const std::vector<GenerationRequest>& requests) override;
  const Tokenizer& tokenizer() const override { return inner_->tokenizer(); }
  int32_t max_context() const override { return inner_->max_context(); }

  TransformerLM& inner() { return *inner_; }
  const ForwardFlops& flop_model() const { return flops_model_; }
  void reset_counts();
  double flops() const { return flops_; }
  const GenerationCounts& generation() const { return generation_; }

 private:
  std::unique_ptr<TransformerLM> inner_;
  ForwardFlops flops_model_;
  double flops_ = 0;
  GenerationCounts generation_;
};

// The rows of a run and the peaks they are measured against.
class StageTable {
 public:
  StageTable(GemmPeak sgemm_peak, GemmPeak dgemm_peak);
  void add(StageRow row) { rows_.push_back(std::move(row)); }
  // GPTQ's phases (QuantizeReport seconds, wall) under the quantize row; `total_wall` is the
  // stage's, whose remainder over the report is the calibration text's tokenization.
  void add_gptq_phases(const QuantizeReport& report, double total_wall, const GptqFlops& flops);
  void add_strata_totals();                        // "L1 total" ... from the task rows
  void update_peaks(GemmPeak sgemm_peak, GemmPeak dgemm_peak);  // the best of both measurements
  void set_counters(benchmark::State& state) const;
  std::string markdown() const;

 private:
  // The seconds the row's FLOPs take at the peaks' wall (or CPU) rates over its wall (or CPU) seconds.
  double fraction_of_peak(const StageRow& row, bool cpu) const;

  std::vector<StageRow> rows_;
  GemmPeak sgemm_peak_, dgemm_peak_;
};

}  // namespace qs::bench_support
