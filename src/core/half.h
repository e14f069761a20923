#pragma once
// bf16 / fp16 <-> fp32 conversion (IEEE 754 binary16, bfloat16 = upper half of binary32).
// Narrowing rounds to nearest, ties to even, as PyTorch's .to(dtype) does.
#include <cstdint>
#include <cstring>

namespace qs {

inline float bf16_to_f32(uint16_t bits) {
  uint32_t word = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &word, sizeof value);
  return value;
}

inline uint16_t f32_to_bf16(float value) {
  uint32_t word;
  std::memcpy(&word, &value, sizeof word);
  if ((word & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((word >> 16) | 0x40u);  // quiet NaN
  uint32_t rounding = 0x7fffu + ((word >> 16) & 1u);
  return static_cast<uint16_t>((word + rounding) >> 16);
}

float fp16_to_f32(uint16_t bits);
uint16_t f32_to_fp16(float value);

// Widen a contiguous run of elements to fp32.
void bf16_to_f32(const uint16_t* src, float* dst, size_t count);
void fp16_to_f32(const uint16_t* src, float* dst, size_t count);

}  // namespace qs
