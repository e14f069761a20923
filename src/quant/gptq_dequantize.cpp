// Per-target file (core/cpu_dispatch.h): Highway compiles the widening once per instruction set.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/gptq_dequantize.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "core/cpu_dispatch.h"
#include "hwy/highway.h"
#include "quant/gptq_dequantize.h"
#include "quant/gptq_pack.h"

HWY_BEFORE_NAMESPACE();
namespace qs {
namespace HWY_NAMESPACE {

void DequantizeGptqRows(const PackedGptqView& weight, int64_t row_begin, int64_t row_end, float* dst) {
  const int64_t out = weight.out_features, in = weight.in_features;
  const int bits = weight.bits;
  uint32_t codes[32];
  for (int64_t run = 0; run < in / 32; ++run) {
    const int32_t* words = weight.qweight + run * bits * out;
    const int32_t* groups = weight.g_idx + run * 32;
    for (int64_t o = row_begin; o < row_end; ++o) {
      unpack_run(words + o, out, bits, codes);
      float* row = dst + (o - row_begin) * in + run * 32;
      for (int k = 0; k < 32; ++k) {
        const int64_t g = groups[k];
        row[k] = weight.scale[g * out + o] * (static_cast<float>(codes[k]) - weight.zero[g * out + o]);
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace qs
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qs {

HWY_EXPORT(DequantizeGptqRows);

void dequantize_gptq_rows(const PackedGptqView& weight, int64_t row_begin, int64_t row_end, float* dst) {
  QS_DISPATCH(DequantizeGptqRows)(weight, row_begin, row_end, dst);
}

}  // namespace qs
#endif  // HWY_ONCE
