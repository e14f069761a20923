// vLLM's load-time checks (vllm_compat.h): gptq.py's divisibility rules and Marlin's limits.
#include <gtest/gtest.h>

#include "quant/vllm_compat.h"

namespace qs {
namespace {

const std::vector<VllmLinearShape> kLlama7b = {{"self_attn.q_proj", 4096, 4096}, {"mlp.down_proj", 4096, 11008}};

TEST(VllmCompat, PublishedShapesLoadInBothKernelsWhenSymmetric) {
  for (int g : {32, 64, 128, -1}) {
    auto c = vllm_compat(4, g, true, kLlama7b);
    EXPECT_TRUE(c.gptq_problems.empty()) << g;
    // 11008 = 86 * 128: every Marlin group size divides it.
    EXPECT_TRUE(c.marlin_problems.empty()) << g << ": " << c.marlin_problems[0];
  }
}

TEST(VllmCompat, InputsNotAMultipleOfTheGroupSizeAreRefused) {
  // 11008 = 2^8 * 43: not a multiple of 512.
  auto c = vllm_compat(4, 512, true, kLlama7b);
  ASSERT_EQ(c.gptq_problems.size(), 1u);
  EXPECT_NE(c.gptq_problems[0].find("mlp.down_proj"), std::string::npos) << c.gptq_problems[0];
  EXPECT_FALSE(c.marlin_problems.empty());  // 512 is not a Marlin group size either
}

TEST(VllmCompat, OutputMultipleIsThePackingFractionsNumerator) {
  // Fraction(32, bits).numerator: 16, 32, 8, 4 for 2, 3, 4, 8 bits.
  const std::vector<std::pair<int, int64_t>> numerators = {{2, 16}, {3, 32}, {4, 8}, {8, 4}};
  for (const auto& [bits, multiple] : numerators) {
    EXPECT_TRUE(vllm_compat(bits, -1, true, {{"x", multiple * 3, 128}}).gptq_problems.empty()) << bits;
    EXPECT_EQ(vllm_compat(bits, -1, true, {{"x", multiple * 3 + multiple / 2, 128}}).gptq_problems.size(), 1u) << bits;
  }
}

TEST(VllmCompat, MarlinNeedsSymmetric4Or8BitsAndItsGroupSizes) {
  EXPECT_FALSE(vllm_compat(4, 128, false, kLlama7b).marlin_problems.empty());
  EXPECT_FALSE(vllm_compat(3, 128, true, kLlama7b).marlin_problems.empty());
  EXPECT_FALSE(vllm_compat(2, 128, true, kLlama7b).marlin_problems.empty());
  EXPECT_TRUE(vllm_compat(8, 128, true, kLlama7b).marlin_problems.empty());
  EXPECT_FALSE(vllm_compat(4, 48, true, {{"x", 4096, 4128}}).marlin_problems.empty());
  // Marlin's tile: out % 64, in % 128; the gptq kernel still loads these.
  auto c = vllm_compat(4, 32, true, {{"x", 96, 160}});
  EXPECT_TRUE(c.gptq_problems.empty());
  EXPECT_EQ(c.marlin_problems.size(), 2u);
}

}  // namespace
}  // namespace qs
