#pragma once
// Rows of a packed GPTQ weight widened to fp32: w[o, i] = scale[g, o] · (code[o, i] − zero[g, o])
// with g = g_idx[i] (AutoGPTQ's dequantization, zeros already un-offset). Compiled per
// instruction set (core/cpu_dispatch.h); every target gives the same bits (one multiply, one
// subtract, no contraction).
#include <cstdint>

namespace qs {

struct PackedGptqView {
  const int32_t* qweight;   // [in / 32 · bits, out], 32 codes per `bits` words down a column
  const int32_t* g_idx;     // [in]
  const float* scale;       // [groups, out]
  const float* zero;        // [groups, out]
  int64_t out_features;
  int64_t in_features;
  int bits;
};

// dst[(o − row_begin) · in + i] for output rows [row_begin, row_end).
void dequantize_gptq_rows(const PackedGptqView& weight, int64_t row_begin, int64_t row_end, float* dst);

// The transposed block, dst[i · ld + (o − row_begin)] (ld ≥ row_end − row_begin): the stored
// layout's order (output index contiguous), so it vectorizes without a transpose; the prefill
// path multiplies it with sgemm (no-transpose B). Same bits as dequantize_gptq_rows.
void dequantize_gptq_columns(const PackedGptqView& weight, int64_t row_begin, int64_t row_end, float* dst,
                             int64_t ld);

// The small-batch (decode) product y[t, o] += Σ_i x[t, i] · W[o, i] for t < n_tokens and
// o ∈ [row_begin, row_end): the packed words are read once and dequantized in registers (exact
// W4A32: the GPTQ formula, fp32 accumulation, never quantized activations). n_tokens ≤ 8: fused,
// run by run; a 32-input run of one group sums code · x and Σ x and applies its scale and zero
// once, s · (Σ code·x − z · Σ x), within γ_{in+5} · Σ |s| (code + |z|) |x| of the product of
// the dequantized weights (docs/engine.md); a run of several groups (act-order) dequantizes per
// weight with the formula above. More tokens: each column strip is dequantized once with that
// formula into an L2-resident buffer and streamed per 8 tokens. x: [n_tokens, in], y:
// [n_tokens, out] row-major. Thread-safe for disjoint row ranges.
void gptq_product(const PackedGptqView& weight, const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                  float* y);

}  // namespace qs
