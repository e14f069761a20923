#include "quant/quantized_linear.h"

#include "core/half.h"

namespace qs {

void QuantizedLinear::dequantize_rows(int64_t row_begin, int64_t row_end, float* dst, bool fp16_scales) const {
  for (int64_t o = row_begin; o < row_end; ++o) {
    float* out_row = dst + (o - row_begin) * in_features;
    const uint8_t* code_row = codes.data() + o * in_features;
    for (int64_t i = 0; i < in_features; ++i) {
      int64_t g = g_idx[i];
      double scale = scales[g * out_features + o];
      float s = fp16_scales ? fp16_to_f32(f32_to_fp16(static_cast<float>(scale))) : static_cast<float>(scale);
      out_row[i] = s * static_cast<float>(code_row[i] - zeros[g * out_features + o]);
    }
  }
}

std::vector<int32_t> sequential_g_idx(int64_t in_features, int group_size) {
  std::vector<int32_t> g_idx(in_features);
  for (int64_t i = 0; i < in_features; ++i) g_idx[i] = static_cast<int32_t>(i / group_size);
  return g_idx;
}

}  // namespace qs
