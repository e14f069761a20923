#pragma once
// The small-batch product of a dense weight matrix stored as F32, BF16 or F16:
//   y[t, o] += Σ_i x[t, i] · W[o, i]   for t < n_tokens, o ∈ [row_begin, row_end)
// reading every weight of the rows once per 4 tokens (from memory once, from cache after that).
// Decode steps (1–32 tokens) spend their time streaming the weights; sgemm would pack every
// matrix again per call. Widening BF16/F16 to fp32 is exact, products accumulate in fp32 (FMA),
// so results differ from the widen + sgemm path only in summation order (Higham eq. 3.5).
// Compiled per instruction set (core/cpu_dispatch.h).
#include <cstdint>

#include "core/dtype.h"

namespace qs {

struct DenseRowsView {
  const void* data;  // [out, in] row-major, element type `dtype`, aligned to its element size
  DType dtype;       // F32, BF16 or F16 (finite values: DenseWeight checks at load)
  int64_t out_features;
  int64_t in_features;
};

// x: [n_tokens, in] row-major; y: [n_tokens, out] row-major (only columns [row_begin, row_end)
// are read and written). Thread-safe for disjoint row ranges.
void dense_rows_product(const DenseRowsView& w, const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                        float* y);

}  // namespace qs
