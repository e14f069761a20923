#pragma once
// One quantized linear layer as GPTQ and RTN produce it, before packing: integer codes, per-group
// scales and zero points, and g_idx (the group of each input feature, which act-order permutes).
//   W_hat[o, i] = scale[g_idx[i], o] * (code[o, i] - zero[g_idx[i], o])
#include <cstdint>
#include <vector>

namespace qs {

struct QuantizedLinear {
  int64_t out_features = 0;
  int64_t in_features = 0;
  int bits = 0;
  int group_size = 0;            // resolved: in_features when the user asked for -1 (per channel)
  std::vector<uint8_t> codes;    // [out, in] row-major, each in [0, 2^bits - 1]
  std::vector<double> scales;    // [n_groups, out]
  std::vector<int32_t> zeros;    // [n_groups, out]
  std::vector<int32_t> g_idx;    // [in]

  int64_t n_groups() const { return static_cast<int64_t>(scales.size()) / (out_features > 0 ? out_features : 1); }
  // Dequantized rows [row_begin, row_end) as fp32 (ld = in_features), with the scales as stored
  // in the checkpoint (fp16) when `fp16_scales`, else at full precision.
  void dequantize_rows(int64_t row_begin, int64_t row_end, float* dst, bool fp16_scales) const;
};

// ceil(in / group_size) groups, g_idx[i] = i / group_size: the layout without act-order.
std::vector<int32_t> sequential_g_idx(int64_t in_features, int group_size);

}  // namespace qs
