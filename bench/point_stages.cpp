#include "point_stages.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

namespace qs::bench_support {

StageMeter::StageMeter() {
  reset_peak_rss();
  start_ = SteadyClock::now();
  cpu_start_ = process_cpu_seconds();
}

StageRow StageMeter::finish(std::string stage, double flops32, double flops64) const {
  StageRow row;
  row.stage = std::move(stage);
  row.wall = wall_seconds();
  row.cpu = process_cpu_seconds() - cpu_start_;
  row.flops32 = flops32;
  row.flops64 = flops64;
  row.peak_rss = static_cast<double>(peak_rss_bytes());
  std::fprintf(stderr, "point_bench: %s: %.1f s wall, %.1f s CPU, %.0f GFLOP, peak RSS %.0f MiB\n", row.stage.c_str(), row.wall,
               row.cpu, (flops32 + flops64) / 1e9, row.peak_rss / 1048576.0);
  return row;
}

// Per layer, with T = windows · seq_len tokens and the block's linears in their groups (one input,
// one Hessian each: [q,k,v], [o], [gate,up], [down]):
//   forward: the original block up to the last group's input (its Hessians), then the quantized
//     block for the next layer's input (not after the last layer): 2 · T · Σ out·in per pass,
//     plus attention (ForwardFlops::per_key per layer and causal pair);
//   XᵀX: ssyrk's upper triangle, in · (in + 1) · T per group;
//   factor H: ≈ in³ per group (Cholesky n³/3, the inverse's and its re-factorization's 2n³/3);
//   columns: Σ_i 2 · out · (in − i) ≈ out · in² per linear (the lazy-batch updates);
//   other: the held-out output errors of GPTQ, RTN and the reference, one dgemm [out, in]·[in, in]
//     each: 6 · out · in² per linear (RTN itself and packing are O(out · in)).
GptqFlops gptq_flops(const Transformer& model, int64_t windows, int64_t seq_len) {
  const ModelConfig& config = model.config();
  const auto groups = model.linear_groups();
  const double tokens = static_cast<double>(windows * seq_len), layers = static_cast<double>(config.n_layers);
  double block = 0, last_group = 0;
  GptqFlops f;
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto in = static_cast<double>(model.linear(0, groups[g][0]).in_features());
    f.hessian += in * (in + 1) * tokens;
    f.cholesky += in * in * in;
    for (const auto& name : groups[g]) {
      const auto out = static_cast<double>(model.linear(0, name).out_features());
      block += out * in;
      if (g + 1 == groups.size()) last_group += out * in;
      f.columns += out * in * in;
      f.other += 6 * out * in * in;
    }
  }
  const double s = static_cast<double>(seq_len);
  const double attention = ForwardFlops(config).per_key / layers * s * (s + 1) / 2 * static_cast<double>(windows);
  f.forward = 2 * tokens * (layers * (block - last_group) + (layers - 1) * block) + (2 * layers - 1) * attention;
  f.hessian *= layers;
  f.cholesky *= layers;
  f.columns *= layers;
  f.other *= layers;
  return f;
}

double perplexity_flops(const ForwardFlops& model, int64_t scored, int64_t ctx) {
  double flops = 0;
  for (int64_t left = scored; left > 0; left -= ctx - 1) {
    const int64_t rows = std::min(left, ctx - 1);
    flops += model.sequence(rows + 1, 0, rows);
  }
  return flops;
}

MeteredLM::MeteredLM(std::unique_ptr<TransformerLM> inner)
    : inner_(std::move(inner)), flops_model_(inner_->model().config()) {}

void MeteredLM::reset_counts() {
  flops_ = 0;
  generation_ = {};
}

// Each distinct context once, then each continuation but its last token against it; every
// continuation token is scored (one lm_head row each).
std::vector<LoglikelihoodResult> MeteredLM::loglikelihood(const std::vector<LoglikelihoodRequest>& requests) {
  std::set<std::vector<int32_t>> contexts;
  for (const auto& r : requests) {
    if (contexts.insert(r.context_tokens).second)
      flops_ += flops_model_.sequence(static_cast<int64_t>(r.context_tokens.size()), 0, 0);
    const auto n = static_cast<int64_t>(r.continuation_tokens.size());
    flops_ += flops_model_.sequence(n - 1, static_cast<int64_t>(r.context_tokens.size()), n);
  }
  return inner_->loglikelihood(requests);
}

// The context once (its last row through the lm_head), then every generated token but the last
// one decoded after it.
std::vector<std::vector<int32_t>> MeteredLM::generate_until(const std::vector<GenerationRequest>& requests) {
  const auto start = SteadyClock::now();
  auto generated = inner_->generate_until(requests);
  generation_.wall += seconds_since(start);
  ++generation_.calls;
  generation_.requests += static_cast<int64_t>(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto context = static_cast<int64_t>(requests[i].context_tokens.size());
    const auto n = static_cast<int64_t>(generated[i].size());
    generation_.tokens += n;
    flops_ += flops_model_.sequence(context, 0, 1) + flops_model_.sequence(std::max<int64_t>(0, n - 1), context, n - 1);
  }
  return generated;
}

StageTable::StageTable(GemmPeak sgemm_peak, GemmPeak dgemm_peak) : sgemm_peak_(sgemm_peak), dgemm_peak_(dgemm_peak) {}

void StageTable::update_peaks(GemmPeak sgemm_peak, GemmPeak dgemm_peak) {
  if (sgemm_peak.wall > sgemm_peak_.wall) sgemm_peak_ = sgemm_peak;
  if (dgemm_peak.wall > dgemm_peak_.wall) dgemm_peak_ = dgemm_peak;
}

void StageTable::add_gptq_phases(const QuantizeReport& r, double total_wall, const GptqFlops& f) {
  const auto phase = [&](const char* name, double wall, double flops32, double flops64) {
    StageRow row;
    row.stage = std::string("  ↳ ") + name;
    row.wall = wall;
    row.cpu = -1;
    row.flops32 = flops32;
    row.flops64 = flops64;
    add(row);
  };
  phase("tokenize calibration text", total_wall - r.seconds_total, 0, 0);
  phase("load + embed", r.seconds_prepare, 0, 0);
  phase("block forward (2 passes)", r.seconds_forward, f.forward, 0);
  phase("XᵀX (ssyrk)", r.seconds_hessian, f.hessian, 0);
  phase("factor H (fp64)", r.seconds_cholesky, 0, f.cholesky);
  phase("columns (fp64)", r.seconds_columns, 0, f.columns);
  phase("other: RTN, held-out errors (fp64), pack", r.seconds_other, 0, f.other);
}

void StageTable::add_strata_totals() {
  for (const std::string stratum : {"L1", "L2", "L3"}) {
    StageRow total;
    total.stage = stratum + " total";
    for (const StageRow& row : rows_) {
      if (row.stage.rfind(stratum + " ", 0) != 0) continue;
      total.wall += row.wall;
      total.cpu += row.cpu;
      total.flops32 += row.flops32;
      total.peak_rss = std::max(total.peak_rss, row.peak_rss);
      total.docs += row.docs;
      total.docs_available += row.docs_available;
      total.generation.tokens += row.generation.tokens;
      total.generation.wall += row.generation.wall;
    }
    add(total);
  }
}

// A stage of fp32 and fp64 work (GPTQ) is held against both peaks at once: the time its FLOPs
// would take at them, over the time they took.
double StageTable::fraction_of_peak(const StageRow& row, bool cpu) const {
  const double seconds = cpu ? row.cpu : row.wall;
  const double at_peak = row.flops32 / ((cpu ? sgemm_peak_.cpu : sgemm_peak_.wall) * 1e9) +
                         row.flops64 / ((cpu ? dgemm_peak_.cpu : dgemm_peak_.wall) * 1e9);
  return seconds > 0 ? at_peak / seconds : 0;
}

namespace {

std::string counter_name(const std::string& stage) {
  std::string name;
  for (unsigned char c : stage)
    if (std::isalnum(c)) name += static_cast<char>(c);
    else if (!name.empty() && name.back() != '_') name += '_';
  if (!name.empty() && name.back() == '_') name.pop_back();
  return name;
}

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

}  // namespace

void StageTable::set_counters(benchmark::State& state) const {
  state.counters["sgemm_peak_GFLOP/s"] = sgemm_peak_.wall;
  state.counters["dgemm_peak_GFLOP/s"] = dgemm_peak_.wall;
  for (const StageRow& row : rows_) {
    const std::string name = counter_name(row.stage);
    state.counters[name + "_wall_s"] = row.wall;
    state.counters[name + "_of_peak"] = fraction_of_peak(row, false);
    if (row.cpu >= 0) state.counters[name + "_cpu_s"] = row.cpu;
    if (row.cpu >= 0) state.counters[name + "_of_peak_cpu"] = fraction_of_peak(row, true);
    if (row.peak_rss >= 0) state.counters[name + "_rss_MiB"] = row.peak_rss / 1048576.0;
    if (row.generation.tokens > 0) state.counters[name + "_gen_tok/s"] = static_cast<double>(row.generation.tokens) / row.generation.wall;
  }
}

namespace {

// "5120 tok, 61.2 tok/s, 20 req/call (decoded 8 at a time)".
std::string generation_text(const GenerationCounts& g) {
  if (g.tokens == 0) return "";
  std::string text = std::to_string(g.tokens) + " tok, " + format("%.1f", static_cast<double>(g.tokens) / g.wall) + " tok/s";
  if (g.calls > 0) {
    const double per_call = static_cast<double>(g.requests) / static_cast<double>(g.calls);
    const double together = std::min(per_call, static_cast<double>(TransformerLMOptions{}.max_generation_batch));
    text += ", " + format("%.1f", per_call) + " req/call (decoded " + format("%.0f", together) + " at a time)";
  }
  return text;
}

}  // namespace

std::string StageTable::markdown() const {
  std::string out = "\nsgemm peak " + format("%.1f", sgemm_peak_.wall) + " GFLOP/s (" + format("%.1f", sgemm_peak_.cpu) +
                    " per CPU second), dgemm peak " + format("%.1f", dgemm_peak_.wall) + " GFLOP/s (" +
                    format("%.1f", dgemm_peak_.cpu) + " per CPU second)\n\n" +
                    "| stage | wall s | CPU s | GFLOP | GFLOP/s | of peak (wall) | of peak (CPU) | peak RSS MiB | docs (split) | s/doc | generation |\n"
                    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const StageRow& row : rows_) {
    const double flops = row.flops32 + row.flops64;
    out += "| " + row.stage + " | " + format("%.1f", row.wall) + " | " + (row.cpu >= 0 ? format("%.1f", row.cpu) : "–") +
           " | " + format("%.0f", flops / 1e9) + " | " + format("%.1f", row.wall > 0 ? flops / row.wall / 1e9 : 0) + " | " +
           format("%.2f", fraction_of_peak(row, false)) + " | " +
           (row.cpu >= 0 ? format("%.2f", fraction_of_peak(row, true)) : "–") + " | " +
           (row.peak_rss >= 0 ? format("%.0f", row.peak_rss / 1048576.0) : "–") + " | " +
           (row.docs > 0 ? std::to_string(row.docs) + " (" + std::to_string(row.docs_available) + ")" : "") + " | " +
           (row.docs > 0 ? format("%.2f", row.wall / static_cast<double>(row.docs)) : "") + " | " +
           generation_text(row.generation) + " |\n";
  }
  return out;
}

}  // namespace qs::bench_support
