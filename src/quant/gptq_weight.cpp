#include "quant/gptq_weight.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/half.h"
#include "quant/gptq_dequantize.h"
#include "quant/gptq_pack.h"

namespace qs {

GptqTensors pack_gptq(const QuantizedLinear& linear, int configured_group_size, const std::string& layer) {
  const int64_t out = linear.out_features, in = linear.in_features, groups = linear.n_groups();
  require(in % 32 == 0, layer,
          "in_features " + std::to_string(in) + " is not a multiple of 32, which the GPTQ qweight layout needs");
  GptqTensors t;
  t.bits = linear.bits;
  t.group_size = configured_group_size;
  t.out_features = out;
  t.in_features = in;
  t.qweight = pack_qweight(linear.codes.data(), out, in, linear.bits);
  std::vector<uint32_t> stored_zeros(groups * out);
  for (int64_t k = 0; k < groups * out; ++k) {
    if (linear.zeros[k] < 1)
      throw Error(layer, "zero point 0 (group " + std::to_string(k / out) + ", row " + std::to_string(k % out) +
                             ") cannot be stored in the v1 GPTQ format, which stores zero - 1");
    stored_zeros[k] = static_cast<uint32_t>(linear.zeros[k] - 1);
  }
  t.qzeros = pack_columns(stored_zeros, groups, out, linear.bits);
  t.scales.resize(groups * out);
  for (int64_t k = 0; k < groups * out; ++k) {
    t.scales[k] = f32_to_fp16(static_cast<float>(linear.scales[k]));
    // fp16 tops out at 65504: a group spanning more than 65504 * maxq (a huge weight) would be
    // written as an Inf scale, and every weight of the group would read back as Inf or NaN.
    if (!std::isfinite(fp16_to_f32(t.scales[k])))
      throw Error(layer, "scale " + std::to_string(linear.scales[k]) + " of group " + std::to_string(k / out) +
                             ", row " + std::to_string(k % out) +
                             " is not finite in fp16 (largest 65504): the weights span too wide a range to store");
  }
  t.g_idx = linear.g_idx;
  return t;
}

GptqWeight::GptqWeight(GptqTensors tensors, std::string name) : t_(std::move(tensors)), name_(std::move(name)) {
  const int64_t out = t_.out_features, in = t_.in_features;
  require(t_.bits == 2 || t_.bits == 3 || t_.bits == 4 || t_.bits == 8, name_,
          "unsupported GPTQ bits " + std::to_string(t_.bits));
  require(out > 0 && in > 0 && in % 32 == 0, name_, "in_features must be a positive multiple of 32");
  require(static_cast<int64_t>(t_.qweight.size()) == in / 32 * t_.bits * out, name_,
          "qweight is not [in_features / 32 * bits, out_features]");
  require(!t_.scales.empty() && static_cast<int64_t>(t_.scales.size()) % out == 0, name_,
          "scales is not [groups, out_features]");
  const int64_t groups = t_.n_groups();
  require(static_cast<int64_t>(t_.g_idx.size()) == in, name_, "g_idx is not [in_features]");
  for (int64_t i = 0; i < in; ++i)
    if (t_.g_idx[i] < 0 || t_.g_idx[i] >= groups)
      throw Error(name_, "g_idx[" + std::to_string(i) + "] = " + std::to_string(t_.g_idx[i]) + " outside [0, " +
                             std::to_string(groups) + ")");
  // Accept AutoGPTQ's out / 32 * bits width as well as our padded ceil width (equal when out % 32 == 0).
  const auto zeros = unpack_columns(t_.qzeros, groups, out, t_.bits);
  scale_f32_.resize(groups * out);
  zero_f32_.resize(groups * out);
  for (int64_t k = 0; k < groups * out; ++k) {
    scale_f32_[k] = fp16_to_f32(t_.scales[k]);
    zero_f32_[k] = static_cast<float>(zeros[k] + t_.zero_offset);
    // Checked once at load (groups x out values, a 1/group_size fraction of the weights): a NaN
    // or Inf scale would otherwise surface only as a NaN perplexity.
    if (!std::isfinite(scale_f32_[k]))
      throw Error(name_ + ".scales", "non-finite scale (" + std::to_string(scale_f32_[k]) + ") at group " +
                                         std::to_string(k / out) + ", column " + std::to_string(k % out));
  }
}

PackedGptqView GptqWeight::view() const {
  return {t_.qweight.data(), t_.g_idx.data(), scale_f32_.data(), zero_f32_.data(), t_.out_features, t_.in_features,
          t_.bits};
}

void GptqWeight::rows_to_f32(int64_t row_begin, int64_t row_end, float* dst) const {
  dequantize_gptq_rows(view(), row_begin, row_end, dst);
}

void GptqWeight::accumulate_product(const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                                    float* y) const {
  gptq_product(view(), x, n_tokens, row_begin, row_end, y);
}

int64_t GptqWeight::small_batch_tokens() const {
  // Measured crossover (bench/decode_bench.cpp, docs/engine.md).
  constexpr int64_t kGptqSmallBatch = 32;
  return kGptqSmallBatch;
}

bool GptqWeight::columns_to_f32(int64_t row_begin, int64_t row_end, float* dst, int64_t ld) const {
  dequantize_gptq_columns(view(), row_begin, row_end, dst, ld);
  return true;
}

int64_t GptqWeight::stored_bytes() const {
  return static_cast<int64_t>(t_.qweight.size() * 4 + t_.qzeros.size() * 4 + t_.scales.size() * 2);
}

double GptqWeight::bits_per_weight() const {
  return 8.0 * static_cast<double>(stored_bytes()) / static_cast<double>(t_.out_features * t_.in_features);
}

std::string GptqWeight::format() const {
  char text[64];
  if (t_.group_size > 0)
    std::snprintf(text, sizeof text, "GPTQ %d-bit g%d", t_.bits, t_.group_size);
  else
    std::snprintf(text, sizeof text, "GPTQ %d-bit per-channel", t_.bits);
  return text;
}

}  // namespace qs
