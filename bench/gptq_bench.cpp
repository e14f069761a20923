// GPTQ wall time against the calibration forward alone, with the per-phase split and peak RSS,
// on the shipped TinyStories model and on a random BF16 checkpoint with all of Qwen3-0.6B's
// shapes (28 layers, d_model 1024, 16 heads / 8 KV heads of 128, d_ff 3072, q/k norms, vocab
// 151936; Qwen3's tokenizer), written once per run to a scratch folder removed at exit.
// Two baselines: "forward" = what model(calib) costs a user (embed + every block + final norm +
// lm_head logits over the calibration windows) and "blocks" = the decoder blocks only.
//   OMP_NUM_THREADS=2 ./build/bench/qs_bench --benchmark_filter=Gptq   (~30 min on 2 cores)
#include <benchmark/benchmark.h>

#include <algorithm>

#include "bench_support.h"
#include "core/atomic_file.h"
#include "core/shared_paths.h"
#include "core/stage_timer.h"
#include "model/transformer.h"
#include "quant/calibration.h"
#include "quant/quantize_model.h"
#include "tokenizer/tokenizer.h"

namespace {

using qs::seconds_since;
using Clock = qs::SteadyClock;

// CPU seconds: the before/after ratios of docs/quant.md are CPU-time ratios with
// OMP_NUM_THREADS=1 (one thread: no spin-waiting).
using qs::bench_support::process_cpu_seconds;

struct ForwardSeconds {
  double full = 0;    // embed + blocks + final norm + logits
  double blocks = 0;  // the decoder blocks alone
  double full_cpu = 0;    // CPU seconds of `full`
  double blocks_cpu = 0;  // CPU seconds of `blocks`
};

// The calibration windows through the model, batched as quantize_in_memory batches them; logits
// in chunks of 512 rows (a [2048, 151936] fp32 buffer would be 1.2 GB).
ForwardSeconds calibration_forward_seconds(const std::string& dir, const qs::QuantizeOptions& o) {
  auto model = qs::Transformer::load(dir);
  const qs::ModelConfig& config = model->config();
  auto windows = qs::sample_windows(*o.calib_tokens, o.calib_samples, o.seq_len, o.seed, config.max_position, 0,
                                    o.calib_file);
  ForwardSeconds seconds;
  const int64_t per_batch = std::max<int64_t>(1, 2048 / o.seq_len), chunk = 512;
  std::vector<float> logits(static_cast<size_t>(chunk * config.vocab_size));
  for (size_t first = 0; first < windows.calibration.size(); first += per_batch) {
    std::vector<int32_t> tokens;
    qs::SequenceBatch layout;
    for (size_t w = first; w < std::min(windows.calibration.size(), first + per_batch); ++w) {
      tokens.insert(tokens.end(), windows.calibration[w].begin(), windows.calibration[w].end());
      layout.push_back({o.seq_len, nullptr, false});
    }
    const auto start = Clock::now();
    const double cpu_start = process_cpu_seconds();
    auto hidden = model->embed(tokens);
    const auto blocks_start = Clock::now();
    const double blocks_cpu_start = process_cpu_seconds();
    for (int64_t layer = 0; layer < config.n_layers; ++layer) model->forward_block(layer, hidden, layout);
    seconds.blocks += seconds_since(blocks_start);
    seconds.blocks_cpu += process_cpu_seconds() - blocks_cpu_start;
    model->finish(hidden, layout);
    const int64_t rows = static_cast<int64_t>(tokens.size());
    for (int64_t row = 0; row < rows; row += chunk)
      model->logits(hidden.data() + row * config.d_model, std::min(chunk, rows - row), logits.data());
    seconds.full += seconds_since(start);
    seconds.full_cpu += process_cpu_seconds() - cpu_start;
  }
  return seconds;
}

void run_gptq(benchmark::State& state, const std::string& dir, qs::QuantizeOptions o) {
  // Tokenized once, outside the timings (both sides would pay it alike); the first 400 kB.
  std::string text = qs::read_file(o.calib_file);
  text.resize(std::min<size_t>(text.size(), 400000));
  o.calib_tokens = std::make_shared<const std::vector<int32_t>>(qs::Tokenizer::load(dir)->encode(text, true));
  for (auto _ : state) {
    // GPTQ first, so that the process's peak RSS so far is GPTQ's own.
    const double cpu_start = process_cpu_seconds();
    auto quantized = qs::quantize_in_memory(dir, o);
    const double gptq_cpu = process_cpu_seconds() - cpu_start;
    const double peak_rss_mib = static_cast<double>(qs::peak_rss_bytes()) / 1048576.0;
    const int64_t quantized_layers = quantized.model->config().n_layers;
    quantized.model.reset();
    const ForwardSeconds forward = calibration_forward_seconds(dir, o);
    const auto& r = quantized.report;
    state.SetIterationTime(r.seconds_total);
    state.counters["forward_s"] = forward.full;
    state.counters["blocks_s"] = forward.blocks;
    state.counters["gptq_s"] = r.seconds_total;
    state.counters["ratio_forward"] = r.seconds_total / forward.full;
    state.counters["ratio_blocks"] = r.seconds_total / forward.blocks;
    state.counters["forward_cpu_s"] = forward.full_cpu;
    state.counters["gptq_cpu_s"] = gptq_cpu;
    state.counters["blocks_cpu_s"] = forward.blocks_cpu;
    state.counters["ratio_forward_cpu"] = gptq_cpu / forward.full_cpu;
    // Both sides at Qwen3-0.6B's 28 blocks: every cost but the lm_head's (and GPTQ's load and
    // embedding) is per block, so it scales by 28 / n_layers.
    const double scale = 28.0 / static_cast<double>(quantized_layers);
    const double gptq_28 = r.seconds_prepare + scale * (gptq_cpu - r.seconds_prepare);
    const double forward_28 = forward.full_cpu + (scale - 1) * forward.blocks_cpu;
    state.counters["ratio_forward_cpu_28"] = gptq_28 / forward_28;
    state.counters["g_forward_s"] = r.seconds_forward;
    state.counters["g_hessian_s"] = r.seconds_hessian;
    state.counters["g_cholesky_s"] = r.seconds_cholesky;
    state.counters["g_columns_s"] = r.seconds_columns;
    state.counters["g_other_s"] = r.seconds_other;
    state.counters["g_prepare_s"] = r.seconds_prepare;
    state.counters["peak_rss_MiB"] = peak_rss_mib;
  }
}

qs::QuantizeOptions bench_options(int64_t samples, int64_t seq_len, bool true_sequential) {
  qs::QuantizeOptions o;
  o.gptq.grid.bits = 4;
  o.gptq.group_size = 128;
  o.gptq.act_order = true;
  o.true_sequential = true_sequential;
  o.calib_file = qs::shared_path("calibration/wikitext2_train_5k.txt");
  o.calib_samples = samples;
  o.seq_len = seq_len;
  o.heldout_samples = 0;  // the error measurement is not part of GPTQ
  o.show_progress = false;
  return o;
}

void BM_GptqShippedModel(benchmark::State& state) {
  run_gptq(state, qs::shared_path("models/tinystories-656k"), bench_options(128, 512, state.range(0) != 0));
}
BENCHMARK(BM_GptqShippedModel)->Arg(0)->Arg(1)->ArgName("true_sequential")->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

using qs::bench_support::qwen3_shapes_checkpoint;

void BM_GptqQwen3_0_6B(benchmark::State& state) {
  run_gptq(state, qwen3_shapes_checkpoint(28), bench_options(state.range(1), 512, state.range(0) != 0));
}
// 8 windows: the per-layer work that does not grow with calibration (factorizations of H, the
// column loop, packing) dominates; 128 windows: GPTQ's usual calibration count (at 512 tokens
// rather than 2048, to keep the run to minutes on 2 cores).
BENCHMARK(BM_GptqQwen3_0_6B)
    ->ArgNames({"true_sequential", "calib_samples"})
    ->Args({1, 8})
    ->Args({0, 8})
    ->Args({1, 128})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

// The issue-18 targets (GPTQ <= 1.15x the calibration forward at 32 x 512, <= 1.5x at 8 x 512) on
// fewer blocks, to keep a before/after pair to minutes on 2 cores: every per-layer cost (forward,
// X^T X, factorizations, columns) is the same per block as at 28 layers; the lm_head share of the
// forward is not, so docs/quant.md scales both sides to 28 blocks from the per-block times.
//   OMP_NUM_THREADS=2 ./build/bench/qs_bench --benchmark_filter='Sgemm|GptqQwen3Layers'
void BM_GptqQwen3Layers(benchmark::State& state) {
  run_gptq(state, qwen3_shapes_checkpoint(state.range(0)), bench_options(state.range(1), 512, true));
}
BENCHMARK(BM_GptqQwen3Layers)
    ->ArgNames({"layers", "calib_samples"})
    ->Args({4, 8})
    ->Args({4, 32})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace
