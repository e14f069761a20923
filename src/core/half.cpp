// Per-target file for the array conversions (core/cpu_dispatch.h); the scalar conversions are
// compiled once.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/half.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cmath>
#include <cstring>

#include "core/cpu_dispatch.h"
#include "core/half.h"
#include "hwy/highway.h"

#if HWY_ONCE
namespace qs {

float fp16_to_f32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  uint32_t word;
  if (exponent == 0) {
    if (mantissa == 0) {
      word = sign;
    } else {  // subnormal: value = mantissa * 2^-24
      float value = std::ldexp(static_cast<float>(mantissa), -24);
      std::memcpy(&word, &value, sizeof word);
      word |= sign;
    }
  } else if (exponent == 31) {
    word = sign | 0x7f800000u | (mantissa << 13);
  } else {
    word = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &word, sizeof value);
  return value;
}

uint16_t f32_to_fp16(float value) {
  uint32_t word;
  std::memcpy(&word, &value, sizeof word);
  const uint16_t sign = static_cast<uint16_t>((word >> 16) & 0x8000u);
  const uint32_t abs_word = word & 0x7fffffffu;
  if (abs_word > 0x7f800000u) return sign | 0x7e00u;   // NaN
  if (abs_word >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: Inf
  if (abs_word < 0x38800000u) {                        // below fp16 min normal: subnormal or zero
    float magnitude;
    std::memcpy(&magnitude, &abs_word, sizeof magnitude);
    // Units of 2^-24, rounded half to even by nearbyint (default rounding mode).
    return sign | static_cast<uint16_t>(std::nearbyint(magnitude * 16777216.0f));
  }
  // Normal: rebias exponent (127 -> 15) and round the 13 dropped mantissa bits half to even.
  uint32_t rebiased = abs_word - (112u << 23);
  uint32_t rounding = 0xfffu + ((rebiased >> 13) & 1u);
  return sign | static_cast<uint16_t>((rebiased + rounding) >> 13);
}

}  // namespace qs
#endif  // HWY_ONCE

// The array conversions widen every bf16/fp16 weight tile before sgemm: per target.
HWY_BEFORE_NAMESPACE();
namespace qs {
namespace HWY_NAMESPACE {

void Bf16ToF32(const uint16_t* src, float* dst, size_t count) {
  for (size_t i = 0; i < count; ++i) dst[i] = bf16_to_f32(src[i]);
}

// fp16_to_f32 above as selects over all three cases, so the loop vectorizes; bit-identical to
// it (subnormals: mantissa · 2^-24 is exact in fp32; Inf/NaN keep their payload).
void Fp16ToF32(const uint16_t* src, float* dst, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const uint32_t bits = src[i];
    const uint32_t sign = (bits & 0x8000u) << 16, magnitude = bits & 0x7fffu, exponent = magnitude >> 10;
    float subnormal = static_cast<float>(magnitude) * 0x1p-24f;
    uint32_t subnormal_word;
    std::memcpy(&subnormal_word, &subnormal, sizeof subnormal_word);
    const uint32_t shifted = magnitude << 13;
    const uint32_t word = exponent == 0 ? subnormal_word : (exponent == 31 ? shifted | 0x7f800000u : shifted + (112u << 23));
    const uint32_t signed_word = word | sign;
    std::memcpy(dst + i, &signed_word, sizeof(float));
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace qs
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qs {

HWY_EXPORT(Bf16ToF32);
HWY_EXPORT(Fp16ToF32);

void bf16_to_f32(const uint16_t* src, float* dst, size_t count) { QS_DISPATCH(Bf16ToF32)(src, dst, count); }
void fp16_to_f32(const uint16_t* src, float* dst, size_t count) { QS_DISPATCH(Fp16ToF32)(src, dst, count); }

}  // namespace qs
#endif  // HWY_ONCE
