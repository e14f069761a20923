#pragma once
// The linear op of every projection: Y[n_tokens, out] = X[n_tokens, in] · Wᵀ (+ bias).
// A few tokens (n_tokens ≤ W.small_batch_tokens(): decode steps) go to W.accumulate_product,
// which reads each stored weight once, parallel over output rows. More tokens: dense F32
// weights go straight to sgemm; any other WeightMatrix (BF16/F16, GPTQ-packed) has its output
// rows split between the threads, each widening its own L2-sized tiles (1 MiB) and running a
// single-threaded sgemm on each — GPTQ as a Wᵀ tile in its stored input-major order
// (columns_to_f32), the others row by row.
#include <cstdint>

#include "model/weight_matrix.h"

namespace qs {

// x: [n_tokens, w.in_features()], y: [n_tokens, w.out_features()], row-major. bias: nullptr or
// w.out_features() values. Accumulate::Yes adds to y instead (y += x·Wᵀ + bias: a residual
// added inside sgemm, beta = 1, with no buffer or pass of its own).
enum class Accumulate { No, Yes };
void linear_forward(const WeightMatrix& w, const float* bias, const float* x, int64_t n_tokens, float* y,
                    Accumulate accumulate = Accumulate::No);

// Which of the paths above linear_forward may take: both on by default. Off, it runs the widen
// + sgemm path of before (tests compare the paths; bench/decode_bench.cpp measures before and
// after in one run). Process-wide; set it only while no forward pass runs.
struct LinearPaths {
  bool small_batch = true;     // accumulate_product for n_tokens ≤ small_batch_tokens()
  bool thread_tiles = true;    // per-thread tiles (above); off: one shared tile of rows, widened in
                               // parallel, then a threaded sgemm (the path of before)
};
void set_linear_paths(LinearPaths paths);
LinearPaths linear_paths();

// Rows [row_begin, row_end) of w as fp32 into dst (ld = in_features), widened in parallel in
// 16-row slices (each thread on its own cache lines): the tile step of linear_forward with
// thread_tiles off.
void widen_rows(const WeightMatrix& w, int64_t row_begin, int64_t row_end, float* dst);

}  // namespace qs
