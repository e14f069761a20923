// GPTQ wall time against the calibration forward alone, with the per-phase split and peak RSS:
// on the shipped TinyStories model and on a random checkpoint with Qwen3-0.6B's block shapes
// (d_model 1024, 16 heads / 8 KV heads of 128, d_ff 3072, q/k norms; 2 layers and the
// TinyStories tokenizer/vocabulary so the checkpoint stays small — GPTQ's cost is per block).
//   ./build/bench/qs_bench --benchmark_filter=Gptq
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/shared_paths.h"
#include "io/random_checkpoint.h"
#include "model/transformer.h"
#include "quant/calibration.h"
#include "quant/quantize_model.h"
#include "tokenizer/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

// One plain forward of the calibration windows through every block (what any calibration
// needs at the least): the denominator of the "GPTQ / forward" ratio.
double calibration_forward_seconds(const std::string& dir, const qs::QuantizeOptions& o) {
  auto model = qs::Transformer::load(dir);
  auto tokenizer = qs::Tokenizer::load(dir);
  auto windows = qs::sample_windows(qs::tokenize_file(*tokenizer, o.calib_file), o.calib_samples, o.seq_len, o.seed,
                                    model->config().max_position, 0, o.calib_file);
  const auto start = Clock::now();
  const int64_t per_batch = std::max<int64_t>(1, 2048 / o.seq_len);
  for (size_t first = 0; first < windows.calibration.size(); first += per_batch) {
    std::vector<int32_t> tokens;
    qs::SequenceBatch layout;
    for (size_t w = first; w < std::min(windows.calibration.size(), first + per_batch); ++w) {
      tokens.insert(tokens.end(), windows.calibration[w].begin(), windows.calibration[w].end());
      layout.push_back({o.seq_len, nullptr, false});
    }
    auto hidden = model->embed(tokens);
    for (int64_t layer = 0; layer < model->config().n_layers; ++layer) model->forward_block(layer, hidden, layout);
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void run_gptq(benchmark::State& state, const std::string& dir, qs::QuantizeOptions o) {
  for (auto _ : state) {
    const double forward = calibration_forward_seconds(dir, o);
    auto quantized = qs::quantize_in_memory(dir, o);
    const auto& r = quantized.report;
    const double gptq = r.seconds_total - r.seconds_prepare;  // both exclude tokenizing/embedding
    state.SetIterationTime(gptq);
    state.counters["forward_alone_s"] = forward;
    state.counters["gptq_s"] = gptq;
    state.counters["ratio"] = gptq / forward;
    state.counters["fwd_s"] = r.seconds_forward;
    state.counters["hessian_s"] = r.seconds_hessian;
    state.counters["cholesky_s"] = r.seconds_cholesky;
    state.counters["columns_s"] = r.seconds_columns;
    state.counters["other_s"] = r.seconds_other;
    state.counters["peak_rss_MiB"] = static_cast<double>(qs::peak_rss_bytes()) / 1048576.0;
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

void BM_GptqQwen3Shapes(benchmark::State& state) {
  const std::string dir = std::filesystem::temp_directory_path() / "qs_bench_qwen3_shapes";
  if (!std::filesystem::exists(dir + "/model.safetensors")) {
    qs::TinyShape shape{1024, 2, 16, 8, 128, 3072, 2048, 40960};
    const std::string config = qs::read_file(qs::shared_path("hf/Qwen-Qwen3-0.6B/config.json"));
    qs::write_random_checkpoint(dir, qs::shrink_config_json(config, shape), {.dtype = qs::DType::BF16});
    std::filesystem::copy_file(qs::shared_path("models/tinystories-656k/tokenizer.json"), dir + "/tokenizer.json",
                               std::filesystem::copy_options::overwrite_existing);
  }
  run_gptq(state, dir, bench_options(16, 2048, state.range(0) != 0));
}
BENCHMARK(BM_GptqQwen3Shapes)->Arg(0)->Arg(1)->ArgName("true_sequential")->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
