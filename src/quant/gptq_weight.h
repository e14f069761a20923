#pragma once
// A linear layer stored in the GPTQ checkpoint format ("checkpoint_format": "gptq", v1), and the
// WeightMatrix that dequantizes it block by block for the forward pass:
//   W[o, i] = scales[g, o] * (q[i, o] - (qzeros[g, o] + 1)),  g = g_idx[i]
// (v1 stores zero - 1; the +1 is what AutoGPTQ, Transformers and vLLM add back when loading).
#include <cstdint>
#include <string>
#include <vector>

#include "model/weight_matrix.h"
#include "quant/gptq_dequantize.h"
#include "quant/quantized_linear.h"

namespace qs {

struct GptqTensors {
  int bits = 4;
  int group_size = 128;           // as configured (-1 = per channel); informational
  int64_t out_features = 0, in_features = 0;
  std::vector<int32_t> qweight;   // [in / 32 * bits, out]
  std::vector<int32_t> qzeros;    // [groups, ceil(out / 32) * bits]
  std::vector<uint16_t> scales;   // fp16 [groups, out]
  std::vector<int32_t> g_idx;     // [in]
  int zero_offset = 1;            // added to stored zeros: 1 for v1 "gptq", 0 for "gptq_v2"
  int64_t n_groups() const { return out_features > 0 ? static_cast<int64_t>(scales.size()) / out_features : 0; }
};

// Packs a quantized layer. `configured_group_size` is the user's value (-1 kept as -1).
// Throws qs::Error naming `layer` when in % 32 != 0 or a zero point is 0 (v1 cannot store it;
// quantize with QuantGrid::min_zero = 1).
GptqTensors pack_gptq(const QuantizedLinear& linear, int configured_group_size, const std::string& layer);

class GptqWeight : public WeightMatrix {
 public:
  // Validates every shape and g_idx entry; throws qs::Error naming `name`.
  GptqWeight(GptqTensors tensors, std::string name);
  int64_t out_features() const override { return t_.out_features; }
  int64_t in_features() const override { return t_.in_features; }
  void rows_to_f32(int64_t row_begin, int64_t row_end, float* dst) const override;
  // Packed words dequantized in registers (quant/gptq_dequantize.h gptq_product).
  void accumulate_product(const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                          float* y) const override;
  int64_t small_batch_tokens() const override;
  // The stored order (input-major) widened without a transpose.
  bool columns_to_f32(int64_t row_begin, int64_t row_end, float* dst, int64_t ld) const override;
  // qweight + qzeros + scales (g_idx excluded, as the memory definition in DESIGN.md does).
  int64_t stored_bytes() const override;
  double bits_per_weight() const override;
  std::string format() const override;
  const GptqTensors& tensors() const { return t_; }
  // The packed words with the widened scales and zeros, as the kernels read them.
  PackedGptqView view() const;

 private:
  GptqTensors t_;
  std::string name_;
  std::vector<float> scale_f32_;  // [groups, out], widened once
  std::vector<float> zero_f32_;   // [groups, out], stored value + 1
};

}  // namespace qs
