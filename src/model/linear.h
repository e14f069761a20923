#pragma once
// The linear op of every projection: Y[n_tokens, out] = X[n_tokens, in] · Wᵀ (+ bias).
// Dense F32 weights go straight to sgemm; any other WeightMatrix (BF16/F16, GPTQ-packed) is
// widened a tile of rows at a time into a scratch buffer (a few MB), one sgemm per tile.
#include <cstdint>

#include "model/weight_matrix.h"

namespace qs {

// x: [n_tokens, w.in_features()], y: [n_tokens, w.out_features()], row-major. bias: nullptr or
// w.out_features() values.
void linear_forward(const WeightMatrix& w, const float* bias, const float* x, int64_t n_tokens, float* y);

}  // namespace qs
