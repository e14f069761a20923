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

}  // namespace qs
