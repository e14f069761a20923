#pragma once
// What several benchmarks measure alike: the process's CPU seconds and peak RSS, the BLAS peak
// a throughput is reported against, FLOP counts of a forward pass, and a random checkpoint with
// Qwen3-0.6B's shapes in a scratch folder that is removed when the benchmark exits.
#include <cstdint>
#include <string>

#include "io/model_config.h"

namespace qs::bench_support {

// CPU seconds of this process (all threads, user + system). On a shared machine a stage's wall
// time depends on what else runs; its CPU time much less.
double process_cpu_seconds();

// Peak resident set since the last reset_peak_rss() (VmHWM), bytes; where /proc/self/clear_refs
// cannot be written the reset does nothing and this is the peak since the process started.
int64_t peak_rss_bytes();
void reset_peak_rss();

// GFLOP/s of one [m, k] · [n, k]ᵀ sgemm as the linear op calls it, repeated for 300 ms.
double sgemm_gflops(int m, int n, int k);
// The sgemm (fp32) and dgemm (fp64) peaks at n = 2048 (square): the best of `runs` 300 ms
// measurements (single ones vary by +-4 % on the shared 2-core VM).
double measure_sgemm_peak(int runs);
double measure_dgemm_peak(int runs);
// Both rates of the best run: GFLOP per wall second, and per CPU second of the process (all
// threads), the denominator for a stage's CPU-time rate on a machine other processes share.
struct GemmPeak {
  double wall = 0, cpu = 0;
};
GemmPeak measure_gemm_peak(bool fp64, int runs);

// FLOPs of a decoder-only forward, from the shapes: 2 per weight multiplied (every linear of every
// block once per token; the input embedding is a lookup, not a product), 2 · vocab · d_model per
// row put through the lm_head, and attention's QKᵀ and AV, 2 · 2 · q_dim per (query, key) pair
// per layer. Norms, RoPE, softmax and activations are O(d_model) per token and left out.
struct ForwardFlops {
  explicit ForwardFlops(const ModelConfig& config);
  // `tokens` new tokens of one sequence after `past` cached ones (each attends to its past and
  // to itself), `lm_head_rows` of them put through the lm_head.
  double sequence(int64_t tokens, int64_t past, int64_t lm_head_rows) const;

  double per_token = 0;        // 2 · non-embedding parameters
  double per_lm_head_row = 0;  // 2 · vocab · d_model
  double per_key = 0;          // 4 · q_dim · n_layers
};

// A folder under the temporary directory, one per process, removed (with everything in it) when
// the process exits normally: benchmark checkpoints are hundreds of MB.
const std::string& scratch_dir();

// A random BF16 checkpoint with Qwen3-0.6B's shapes (28 layers, d_model 1024, 16 heads / 8 KV
// heads of 128, d_ff 3072, q/k norms, vocab 151936) and `layers` decoder blocks, with Qwen3's
// real tokenizer, written once per process into scratch_dir() by the project's writer; `scale`
// as RandomCheckpointOptions::scale (io/random_checkpoint.h).
std::string qwen3_shapes_checkpoint(int64_t layers, double scale = 1.0);

}  // namespace qs::bench_support
