#pragma once
// The linear op of every projection: Y[n_tokens, out] = X[n_tokens, in] · Wᵀ (+ bias).
// Dense F32 weights go straight to sgemm; any other WeightMatrix (BF16/F16, GPTQ-packed) is
// widened a tile of rows at a time into a scratch buffer (a few MB), one sgemm per tile.
#include <cstdint>

#include "model/weight_matrix.h"

namespace qs {

// x: [n_tokens, w.in_features()], y: [n_tokens, w.out_features()], row-major. bias: nullptr or
// w.out_features() values. Accumulate::Yes adds to y instead (y += x·Wᵀ + bias: a residual
// added inside sgemm, beta = 1, with no buffer or pass of its own).
enum class Accumulate { No, Yes };
void linear_forward(const WeightMatrix& w, const float* bias, const float* x, int64_t n_tokens, float* y,
                    Accumulate accumulate = Accumulate::No);

// Rows [row_begin, row_end) of w as fp32 into dst (ld = in_features), widened in parallel in
// 16-row slices (each thread on its own cache lines): the tile step of linear_forward.
void widen_rows(const WeightMatrix& w, int64_t row_begin, int64_t row_end, float* dst);

}  // namespace qs
