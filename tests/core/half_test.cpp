#include "core/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace qs {

TEST(Half, Fp16RoundTripsEveryFiniteValue) {
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    uint16_t h = static_cast<uint16_t>(bits);
    if ((h & 0x7c00u) == 0x7c00u) continue;  // Inf/NaN
    EXPECT_EQ(f32_to_fp16(fp16_to_f32(h)), h) << bits;
  }
}

TEST(Half, Fp16KnownValuesAndRounding) {
  EXPECT_EQ(fp16_to_f32(0x3c00u), 1.0f);
  EXPECT_EQ(fp16_to_f32(0xc000u), -2.0f);
  EXPECT_EQ(fp16_to_f32(0x0001u), std::ldexp(1.0f, -24));
  EXPECT_EQ(f32_to_fp16(65520.0f), 0x7c00u);  // rounds to Inf, as IEEE does
  EXPECT_EQ(f32_to_fp16(65504.0f), 0x7bffu);
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even gives 1.
  EXPECT_EQ(f32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00u);
  EXPECT_TRUE(std::isnan(fp16_to_f32(f32_to_fp16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(Half, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80u);
  EXPECT_EQ(bf16_to_f32(0x3f80u), 1.0f);
  // 1 + 2^-8 is halfway between bf16 neighbours 1 and 1 + 2^-7: ties to even gives 1.
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80u);
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82u);
}

// The array conversions are compiled per instruction set (core/cpu_dispatch.h); whichever
// target QS_CPU selects must give the scalar conversion's bits for all 65,536 inputs (NaN
// payloads included): widening is exact, so bit-identity is guaranteed by construction.
TEST(Half, ArrayConversionsEqualTheScalarOnesForEveryValue) {
  std::vector<uint16_t> all(0x10000);
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) all[bits] = static_cast<uint16_t>(bits);
  std::vector<float> from_fp16(all.size()), from_bf16(all.size());
  fp16_to_f32(all.data(), from_fp16.data(), all.size());
  bf16_to_f32(all.data(), from_bf16.data(), all.size());
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    const float fp16 = fp16_to_f32(static_cast<uint16_t>(bits)), bf16 = bf16_to_f32(static_cast<uint16_t>(bits));
    ASSERT_EQ(std::memcmp(&from_fp16[bits], &fp16, sizeof(float)), 0) << "fp16 " << bits;
    ASSERT_EQ(std::memcmp(&from_bf16[bits], &bf16, sizeof(float)), 0) << "bf16 " << bits;
  }
}

}  // namespace qs
