// Decode (greedy generation) speed at Qwen3-0.6B shapes, F32 and GPTQ 4-bit g128, at batch 1
// and 32 (GPTQ also 8, the evaluator's generation batch), on the decode path (model/linear.h: accumulate_product) and on the widen + sgemm
// path of before (set_linear_paths), beside a memory-bandwidth probe and the sgemm peak measured
// in the same run. The bandwidth bound of a decode step is the bytes of weights it must read
// (every linear and the lm_head; an untied embedding's rows only for the step's tokens) over the
// probe's GB/s. Also the linear op's small-batch crossover per weight format, and decode after
// long contexts (BM_DecodeContext: attention over the KV caches). docs/engine.md records the
// figures.
//   ./build/bench/qs_bench --benchmark_filter='Decode|SmallBatchCrossover'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.h"
#include "core/atomic_file.h"
#include "core/blas.h"
#include "core/shared_paths.h"
#include "io/random_checkpoint.h"
#include "model/linear.h"
#include "core/parallel.h"
#include "model/token_scorer.h"
#include "model/transformer.h"
#include "quant/gptq_import.h"
#include "quant/quantize_model.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Read bandwidth, GB/s: the best of three parallel sums over 1 GiB (far beyond the caches), the
// way a decode step streams its weights. Integer sums: a float sum's one dependent add chain per
// thread (fp addition does not reassociate) is latency-bound below the memory bus on an SSE
// build (x86-64-v2: 4 floats per 3–4 cycles), and read 9.7 GB/s where a decode step streamed 25;
// integer addition reassociates, so the compiler spreads it over vector lanes of 1-cycle adds.
double measure_read_bandwidth() {
  const int64_t count = int64_t{1} << 28;
  std::vector<uint32_t> data(static_cast<size_t>(count), 1u);
  double best = 0;
  for (int run = 0; run < 3; ++run) {
    const auto start = Clock::now();
    uint32_t sum = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : sum)
    for (int64_t i = 0; i < count; ++i) sum += data[static_cast<size_t>(i)];
    benchmark::DoNotOptimize(sum);
    best = std::max(best, 4.0 * static_cast<double>(count) / seconds_since(start) / 1e9);
  }
  return best;
}


// Random checkpoints of Qwen3-0.6B's shapes, written once per run to the scratch folder: "f32" and
// "bf16" dense, and "gptq4", the GPTQ 4-bit g128 export of the BF16 one by the project's own
// quantizer (RTN: the same format and kernels as GPTQ's codes); "gptq4_lm_head" with the lm_head
// quantized too (--lm-head). Qwen3 ships bf16 weights, and a
// GPTQ export keeps the tensors it does not quantize (embedding = tied lm_head, norms) as
// stored, so the BF16 source gives the lm_head a real GPTQ checkpoint of it has.
std::string model_dir(const std::string& format) {
  const auto dense = [](qs::DType dtype, const std::string& name) {
    const std::string dir = (std::filesystem::path(qs::bench_support::scratch_dir()) / name).string();
    if (!std::filesystem::exists(dir + "/model.safetensors"))
      qs::write_random_checkpoint(dir, qs::read_file(qs::shared_path("hf/Qwen-Qwen3-0.6B/config.json")),
                                  {.dtype = dtype, .seed = 1});
    return dir;
  };
  if (format == "f32") return dense(qs::DType::F32, "qs_bench_qwen3-0.6b");
  const std::string bf16 = dense(qs::DType::BF16, "qs_bench_qwen3-0.6b-bf16");
  if (format == "bf16") return bf16;
  const bool lm_head = format == "gptq4_lm_head";  // quantize --lm-head
  const std::string gptq = (std::filesystem::path(qs::bench_support::scratch_dir()) /
                            (lm_head ? "qs_bench_qwen3-0.6b-bf16-gptq4-g128-lm-head" : "qs_bench_qwen3-0.6b-bf16-gptq4-g128"))
                               .string();
  if (!std::filesystem::exists(gptq + "/config.json")) {
    qs::QuantizeOptions o;
    o.method = qs::QuantMethod::Rtn;
    o.gptq.grid.bits = 4;
    o.gptq.group_size = 128;
    o.quantize_lm_head = lm_head;
    o.heldout_samples = 0;
    o.show_progress = false;
    qs::quantize_model(bf16, o, gptq);
  }
  return gptq;
}


struct StepTiming {
  double wall = 0, cpu = 0;  // per step
};

// `batch` sequences with 32-token contexts prefilled into their caches (a longer `context`: one
// sequence prefilled and its cache copied to the others), then decode steps (one token per
// sequence, logits over the vocabulary, argmax) for at least `min_seconds` and 2 steps.
StepTiming decode_steps(const qs::Transformer& model, int64_t batch, bool decode_path, double min_seconds,
                        int64_t context = 32) {
  qs::set_linear_paths({.small_batch = decode_path, .thread_tiles = decode_path});
  const qs::ModelConfig& config = model.config();
  const int64_t vocab = config.vocab_size, prefilled = context > 32 ? 1 : batch;
  std::vector<qs::KVCache> caches;
  caches.reserve(static_cast<size_t>(batch));
  qs::SequenceBatch prefill, step;
  std::vector<int32_t> tokens;
  for (int64_t s = 0; s < batch; ++s) {
    caches.emplace_back(config);
    if (s >= prefilled) continue;
    prefill.push_back({context, &caches.back(), true});
    for (int64_t t = 0; t < context; ++t) tokens.push_back(static_cast<int32_t>((s * 7919 + t * 104729) % vocab));
  }
  model.forward(tokens, prefill);
  for (int64_t s = prefilled; s < batch; ++s) caches[static_cast<size_t>(s)] = caches[0];
  for (int64_t s = 0; s < batch; ++s) step.push_back({1, &caches[static_cast<size_t>(s)], true});
  std::vector<int32_t> next(static_cast<size_t>(batch), 1);
  std::vector<float> logits(static_cast<size_t>(batch * vocab));
  const auto greedy_step = [&] {
    const std::vector<float> hidden = model.forward(next, step);
    model.logits(hidden.data(), batch, logits.data());
    for (int64_t s = 0; s < batch; ++s) {
      const float* row = logits.data() + s * vocab;
      next[static_cast<size_t>(s)] = static_cast<int32_t>(std::max_element(row, row + vocab) - row);
    }
  };
  // Untimed: the first step grows every cache (a copy of each layer's keys and values at 1.5×
  // the prefilled length), once per generation, as the evaluator's first step does.
  greedy_step();
  int64_t steps = 0;
  const auto start = Clock::now();
  const double cpu_start = qs::bench_support::process_cpu_seconds();
  while (steps < 2 || (seconds_since(start) < min_seconds && steps < 64)) {
    greedy_step();
    ++steps;
  }
  StepTiming timing{seconds_since(start) / static_cast<double>(steps), (qs::bench_support::process_cpu_seconds() - cpu_start) / static_cast<double>(steps)};
  qs::set_linear_paths({});
  return timing;
}

// Decode at `batch` on the decode path and on the widen + sgemm path, in one run beside the
// bandwidth probe and the sgemm peak.
void BM_Decode(benchmark::State& state, const std::string& format) {
  const int64_t batch = state.range(0);
  double bandwidth = measure_read_bandwidth();
  const double peak = qs::bench_support::measure_sgemm_peak(3);
  auto model = qs::load_model(model_dir(format));
  decode_steps(*model, 1, true, 0);  // page the weights in
  StepTiming fresh, old;
  for (auto _ : state) {
    fresh = decode_steps(*model, batch, true, 4.0);
    old = decode_steps(*model, batch, false, 4.0);
  }
  bandwidth = std::max(bandwidth, measure_read_bandwidth());
  // Bytes a step reads: every weight, but of an untied embedding only the rows of its tokens.
  const double weight_bytes = static_cast<double>(
      model->weight_bytes() - (model->lm_head_untied() ? model->embedding().stored_bytes() : 0));
  const double bound = bandwidth * 1e9 / weight_bytes;  // steps/s reading each weight once
  state.counters["tok/s"] = static_cast<double>(batch) / fresh.wall;
  state.counters["s/step"] = fresh.wall;
  state.counters["cpu_s/step"] = fresh.cpu;
  state.counters["old_tok/s"] = static_cast<double>(batch) / old.wall;
  state.counters["old_s/step"] = old.wall;
  state.counters["old_cpu_s/step"] = old.cpu;
  state.counters["speedup"] = old.wall / fresh.wall;
  state.counters["weight_MB"] = weight_bytes / 1e6;
  state.counters["read_GB/s"] = bandwidth;
  state.counters["bound_step/s"] = bound;
  state.counters["of_bound"] = 1.0 / fresh.wall / bound;
  state.counters["sgemm_peak_GFLOP/s"] = peak;
}

BENCHMARK_CAPTURE(BM_Decode, f32, std::string("f32"))->Arg(1)->Arg(32)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Decode, bf16, std::string("bf16"))->Arg(1)->Arg(32)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Decode, gptq4_g128, std::string("gptq4"))->Arg(1)->Arg(8)->Arg(32)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Decode, gptq4_g128_lm_head, std::string("gptq4_lm_head"))->Arg(1)->Arg(8)->Arg(32)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// Decode at the evaluator's generation batch (8) after `context` tokens: what attention over the
// KV caches adds to a step (GSM8K's five-shot prompts are ~900 tokens, then 256 generated). Each
// step reads every cached key and value once per KV head: kv_MB/step, fp32. After a long context
// the same run also times steps after 32 tokens and the read-bandwidth probe: the difference is
// what the longer caches cost, kv_GB/s the rate at which attention read them (against read_GB/s).
void BM_DecodeContext(benchmark::State& state, const std::string& format) {
  const int64_t batch = state.range(0), context = state.range(1);
  auto model = qs::load_model(model_dir(format));
  decode_steps(*model, 1, true, 0);  // page the weights in
  StepTiming timing;
  for (auto _ : state) timing = decode_steps(*model, batch, true, 4.0, context);
  const qs::ModelConfig& config = model->config();
  const double kv_bytes = 2.0 * 4.0 * static_cast<double>(config.n_layers * config.kv_dim() * context * batch);
  state.counters["tok/s"] = static_cast<double>(batch) / timing.wall;
  state.counters["s/step"] = timing.wall;
  state.counters["cpu_s/step"] = timing.cpu;
  state.counters["kv_MB/step"] = kv_bytes / 1e6;
  if (context <= 32) return;
  const StepTiming short_context = decode_steps(*model, batch, true, 4.0, 32);
  const double short_kv_bytes = kv_bytes * 32.0 / static_cast<double>(context);
  state.counters["s/step_ctx32"] = short_context.wall;
  state.counters["kv_GB/s"] = (kv_bytes - short_kv_bytes) / (timing.wall - short_context.wall) / 1e9;
  state.counters["read_GB/s"] = measure_read_bandwidth();
}

BENCHMARK_CAPTURE(BM_DecodeContext, gptq4_g128, std::string("gptq4"))
    ->Args({8, 32})->Args({8, 1024})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// One linear of Qwen3-0.6B's MLP (gate: 3072 × 1024) at n tokens: accumulate_product (parallel
// over 64-row chunks, as the linear op runs it) against widen + sgemm; where the ratio crosses 1
// is the format's small_batch_tokens().
void BM_SmallBatchCrossover(benchmark::State& state, const std::string& format) {
  const int64_t n = state.range(0);
  auto model = qs::load_model(model_dir(format == "f32" ? "f32" : "gptq4"));
  const qs::WeightMatrix& w = model->linear(0, "mlp.gate_proj");
  const int64_t out = w.out_features(), in = w.in_features();
  std::vector<float> x(static_cast<size_t>(n * in), 0.01f), y(static_cast<size_t>(n * out));
  const auto time = [&](bool small) {
    double best = 1e30;
    for (int rep = 0; rep < 10; ++rep) {
      const auto start = Clock::now();
      if (small) {
        std::fill(y.begin(), y.end(), 0.0f);
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < out; r += 64) w.accumulate_product(x.data(), n, r, std::min(out, r + 64), y.data());
      } else {
        qs::set_linear_paths({.small_batch = false, .thread_tiles = true});
        qs::linear_forward(w, nullptr, x.data(), n, y.data());
        qs::set_linear_paths({});
      }
      best = std::min(best, seconds_since(start));
    }
    return best;
  };
  double product = 0, widen = 0;
  for (auto _ : state) {
    product = time(true);
    widen = time(false);
  }
  state.counters["product_ms"] = product * 1e3;
  state.counters["widen_sgemm_ms"] = widen * 1e3;
  state.counters["speedup"] = widen / product;
}

BENCHMARK_CAPTURE(BM_SmallBatchCrossover, f32, std::string("f32"))
    ->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Arg(16)->Arg(32)->Arg(64)->Arg(128)->Arg(256)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_SmallBatchCrossover, gptq4_g128, std::string("gptq4"))
    ->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Arg(16)->Arg(32)->Arg(64)->Arg(128)->Arg(256)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Prefill (scoring) tokens/s of the GPTQ 4-bit g128 model against the F32 model it was
// quantized from: one 512-token window, forward and the log-probability of every next token
// (what perplexity and loglikelihood run), the two models and the GPTQ model's old tile path
// (rows widened, then sgemm) interleaved, `rounds` times, medians; ratios of the same run
// (the shared machine's speed drifts over minutes).
void BM_PrefillGptqVsF32(benchmark::State& state) {
  const int rounds = static_cast<int>(state.range(0));
  auto f32 = qs::load_model(model_dir("f32"));
  auto gptq = qs::load_model(model_dir("gptq4"));
  const int64_t window = 512, vocab = f32->config().vocab_size;
  std::vector<int32_t> tokens(static_cast<size_t>(window)), next(tokens.size());
  for (int64_t i = 0; i < window; ++i) tokens[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7919) % vocab);
  for (int64_t i = 0; i < window; ++i) next[static_cast<size_t>(i)] = tokens[static_cast<size_t>((i + 1) % window)];
  const qs::SequenceBatch batch{{window}};
  const auto prefill = [&](const qs::Transformer& model, bool new_tiles) {
    qs::set_linear_paths({.small_batch = true, .thread_tiles = new_tiles});
    const auto start = Clock::now();
    const std::vector<float> hidden = model.forward(tokens, batch);
    benchmark::DoNotOptimize(qs::score_next_tokens(model, hidden.data(), window, next.data()).data());
    const double seconds = seconds_since(start);
    qs::set_linear_paths({});
    return static_cast<double>(window) / seconds;
  };
  prefill(*f32, true);  // page in both models before timing
  prefill(*gptq, true);
  std::vector<double> f32_rate, gptq_rate, gptq_old_rate;
  for (auto _ : state)
    for (int r = 0; r < rounds; ++r) {
      f32_rate.push_back(prefill(*f32, true));
      gptq_rate.push_back(prefill(*gptq, true));
      gptq_old_rate.push_back(prefill(*gptq, false));
    }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  state.counters["f32_tok/s"] = median(f32_rate);
  state.counters["gptq4_tok/s"] = median(gptq_rate);
  state.counters["gptq4_rows_tiles_tok/s"] = median(gptq_old_rate);
  state.counters["gptq4/f32"] = median(gptq_rate) / median(f32_rate);
  state.counters["gptq4_rows_tiles/f32"] = median(gptq_old_rate) / median(f32_rate);
  state.counters["sgemm_peak_GFLOP/s"] = qs::bench_support::measure_sgemm_peak(3);
}

BENCHMARK(BM_PrefillGptqVsF32)->Arg(1)->Arg(5)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
