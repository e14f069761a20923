// Forward-pass throughput: sgemm at the model's shapes, prefill tokens/s (batches of 512-token
// windows) of the shipped model and of random fp32 checkpoints at the shapes of Qwen3-0.6B and
// Pythia-160m, the fraction of sgemm peak that reaches (forward_flops below: 2 FLOP per weight
// multiplied, attention included), and peak RSS
// against the checkpoint's file size. Figures are recorded in docs/engine.md.
//   ./build/bench/qs_bench --benchmark_filter='Forward|ModelShape'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_support.h"
#include "core/atomic_file.h"
#include "core/shared_paths.h"
#include "io/random_checkpoint.h"
#include "model/token_scorer.h"
#include "model/transformer.h"

namespace {

constexpr int64_t kWindow = 512;

using qs::bench_support::measure_sgemm_peak;
using qs::bench_support::peak_rss_bytes;
using qs::bench_support::reset_peak_rss;
using qs::bench_support::sgemm_gflops;

// The peak measured once per run (best of three), for the sgemm-at-model-shapes table.
double sgemm_peak() {
  static const double peak = measure_sgemm_peak(3);
  return peak;
}

const char* kPythia160m = R"({"architectures":["GPTNeoXForCausalLM"],"hidden_size":768,"num_hidden_layers":12,
  "num_attention_heads":12,"intermediate_size":3072,"vocab_size":50304,"rotary_pct":0.25,"rotary_emb_base":10000,
  "hidden_act":"gelu","layer_norm_eps":1e-5,"use_parallel_residual":true,"tie_word_embeddings":false,
  "max_position_embeddings":2048})";

// The model to benchmark: the shipped checkpoint, or a random fp32 one written once to a temp dir.
std::string model_dir(const std::string& name) {
  if (name == "tinystories") return qs::shared_path("models/tinystories-656k");
  if (name == "tinystories-fp32") return qs::shared_path("models/tinystories-656k-fp32");
  const std::string dir = (std::filesystem::temp_directory_path() / ("qs_bench_" + name)).string();
  if (!std::filesystem::exists(dir + "/model.safetensors")) {
    const std::string config = name == "qwen3-0.6b" ? qs::read_file(qs::shared_path("hf/Qwen-Qwen3-0.6B/config.json"))
                                                    : std::string(kPythia160m);
    qs::write_random_checkpoint(dir, config, {.dtype = qs::DType::F32, .seed = 1});
  }
  return dir;
}

// One prefill of `windows` causal windows of `window` tokens with logits at every position
// (bench_support.h: ForwardFlops).
double forward_flops(const qs::ModelConfig& config, int64_t windows, int64_t window) {
  return static_cast<double>(windows) * qs::bench_support::ForwardFlops(config).sequence(window, 0, window);
}

void BM_ForwardPrefill(benchmark::State& state, const std::string& name) {
  const int64_t windows = state.range(0);
  const std::string dir = model_dir(name);
  // The denominator of "fraction of peak" is measured in each repetition, around its timed
  // prefill (best of two just before the load, best of two just after the loop; the larger
  // counts): the VM's speed drifts by up to +-10 % over minutes, and a peak taken at another
  // moment would mix that drift into the fraction. Before reset_peak_rss(): its 48 MB of
  // matrices are not the model's.
  const double peak_before = measure_sgemm_peak(2);
  reset_peak_rss();
  auto model = qs::Transformer::load(dir);
  const qs::ModelConfig& config = model->config();
  const int64_t window = std::min(kWindow, config.max_position);
  std::vector<int32_t> tokens(static_cast<size_t>(windows * window));
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 7919) % config.vocab_size);
  const qs::SequenceBatch batch(static_cast<size_t>(windows), qs::SequenceSpan{window});
  // The log-probability of every next token (what perplexity computes): lm_head over every
  // position, through the vocabulary-tiled scorer (model/token_scorer.h).
  std::vector<int32_t> next(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) next[i] = tokens[(i + 1) % tokens.size()];
  // Warm-up on 16 tokens, as tests/reference/torch_prefill_bench.py does: it touches every
  // weight once, so the timed prefill measures compute, not the first page faults on the
  // checkpoint's mapping (~160k of them for Pythia-160m, one per 4 KiB page).
  {
    const int64_t warm = std::min<int64_t>(16, window);
    std::vector<float> hidden = model->forward(std::span(tokens.data(), static_cast<size_t>(warm)), qs::SequenceBatch{{warm}});
    benchmark::DoNotOptimize(qs::score_next_tokens(*model, hidden.data(), warm, next.data()).data());
  }
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    std::vector<float> hidden = model->forward(tokens, batch);
    auto scores = qs::score_next_tokens(*model, hidden.data(), static_cast<int64_t>(tokens.size()), next.data());
    benchmark::DoNotOptimize(scores.data());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Read before the peak measurement allocates its own 48 MB of matrices.
  const double peak_rss = static_cast<double>(peak_rss_bytes());
  const double peak = std::max(peak_before, measure_sgemm_peak(2));
  const double n_tokens = static_cast<double>(tokens.size());
  const double file_bytes = static_cast<double>(model->checkpoint().file_bytes());
  state.counters["tok/s"] = benchmark::Counter(n_tokens, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["params"] = static_cast<double>(config.parameter_count().total);
  const double gflops = forward_flops(config, windows, window) * static_cast<double>(state.iterations()) / seconds / 1e9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["sgemm_peak_GFLOP/s"] = peak;
  state.counters["of_sgemm_peak"] = gflops / peak;
  state.counters["peak_RSS_MiB"] = peak_rss / (1 << 20);
  state.counters["file_MiB"] = file_bytes / (1 << 20);
  state.counters["RSS/file"] = peak_rss / file_bytes;
}

// sgemm at the linear shapes of Qwen3-0.6B and Pythia-160m with 2048 tokens (4 windows):
// [tokens, in] · [out, in]ᵀ as the linear op calls it.
void BM_ModelShapeSgemm(benchmark::State& state) {
  const int m = static_cast<int>(state.range(0)), n = static_cast<int>(state.range(1)), k = static_cast<int>(state.range(2));
  double gflops = 0;
  for (auto _ : state) gflops = sgemm_gflops(m, n, k);
  state.counters["GFLOP/s"] = gflops;
  state.counters["of_peak"] = gflops / sgemm_peak();
}

BENCHMARK(BM_ModelShapeSgemm)
    ->ArgNames({"tokens", "out", "in"})
    ->Args({2048, 2048, 1024})   // Qwen3-0.6B q_proj; also one lm_head vocabulary tile of the scorer
    ->Args({2048, 1024, 1024})   // k_proj / v_proj
    ->Args({2048, 1024, 2048})   // o_proj
    ->Args({2048, 3072, 1024})   // gate / up
    ->Args({2048, 1024, 3072})   // down
    ->Args({2048, 2304, 768})    // Pythia-160m query_key_value
    ->Args({2048, 3072, 768})    // dense_h_to_4h
    ->Args({2048, 768, 3072})    // dense_4h_to_h
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ForwardPrefill, tinystories_bf16, std::string("tinystories"))->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ForwardPrefill, tinystories_fp32, std::string("tinystories-fp32"))->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
// Five repetitions, median reported: single runs vary by up to 10 % on
// the shared 2-core VM (the host's load drifts over minutes; the peak is measured beside each).
BENCHMARK_CAPTURE(BM_ForwardPrefill, pythia160m_shapes_fp32, std::string("pythia-160m"))
    ->Arg(4)->Iterations(2)->Repetitions(5)->DisplayAggregatesOnly(true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ForwardPrefill, qwen3_0_6b_shapes_fp32, std::string("qwen3-0.6b"))
    ->Arg(4)->Iterations(1)->Repetitions(5)->DisplayAggregatesOnly(true)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
