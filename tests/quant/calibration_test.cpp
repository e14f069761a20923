#include "quant/calibration.h"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "core/error.h"

namespace qs {
namespace {

std::vector<int32_t> counting_tokens(int64_t n) {
  std::vector<int32_t> tokens(n);
  std::iota(tokens.begin(), tokens.end(), 0);
  return tokens;
}

TEST(Calibration, SameInputsGiveSameWindowsAndSeedsDiffer) {
  const auto tokens = counting_tokens(10000);
  auto a = sample_windows(tokens, 16, 128, 42, 512, 4, "t");
  auto b = sample_windows(tokens, 16, 128, 42, 512, 4, "t");
  auto c = sample_windows(tokens, 16, 128, 43, 512, 4, "t");
  EXPECT_EQ(a.calibration, b.calibration);
  EXPECT_EQ(a.heldout, b.heldout);
  EXPECT_NE(a.calibration_starts, c.calibration_starts);
  ASSERT_EQ(a.calibration.size(), 16u);
  ASSERT_EQ(a.heldout.size(), 4u);
  std::set<int64_t> distinct(a.calibration_starts.begin(), a.calibration_starts.end());
  EXPECT_GT(distinct.size(), 12u);
  for (size_t w = 0; w < a.calibration.size(); ++w) {
    ASSERT_EQ(a.calibration[w].size(), 128u);
    // Consecutive tokens of the text, starting at the recorded offset, inside [0, n - L - 1].
    EXPECT_EQ(a.calibration[w].front(), a.calibration_starts[w]);
    EXPECT_EQ(a.calibration[w].back(), a.calibration_starts[w] + 127);
    EXPECT_LE(a.calibration_starts[w], 10000 - 128 - 1);
  }
  for (int64_t h : a.heldout_starts)
    for (int64_t s : a.calibration_starts) EXPECT_TRUE(h + 128 <= s || s + 128 <= h) << h << " overlaps " << s;
  // The first Cb windows do not depend on how many held-out windows follow.
  EXPECT_EQ(sample_windows(tokens, 16, 128, 42, 512, 0, "t").calibration, a.calibration);
}

TEST(Calibration, BadRequestsAreClearErrors) {
  const auto tokens = counting_tokens(300);
  EXPECT_THROW(sample_windows(tokens, 0, 128, 1, 512, 0, "t"), Error);     // Cb = 0
  EXPECT_THROW(sample_windows(tokens, 4, 0, 1, 512, 0, "t"), Error);       // L = 0
  EXPECT_THROW(sample_windows(tokens, 4, 1024, 1, 512, 0, "t"), Error);    // L > context
  EXPECT_THROW(sample_windows(tokens, 4, 300, 1, 512, 0, "t"), Error);     // too little text
  try {
    sample_windows(counting_tokens(50), 2, 64, 1, 512, 0, "wiki.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too little calibration text"), std::string::npos) << e.what();
  }
  // Held-out windows that cannot avoid the calibration windows.
  EXPECT_THROW(sample_windows(tokens, 8, 200, 1, 512, 2, "t"), Error);
}

TEST(Calibration, MoreWindowsThanTheTextHoldsIsAnErrorBeforeAnyIsCut) {
  // 50 tokens hold 42 distinct windows of 8; asking for more only repeats windows, and a huge
  // count (1e9) used to allocate every window before anything ran.
  EXPECT_EQ(sample_windows(counting_tokens(50), 42, 8, 1, 512, 0, "t").calibration.size(), 42u);
  try {
    sample_windows(counting_tokens(50), 43, 8, 1, 512, 0, "tiny.txt");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("tiny.txt"), std::string::npos) << message;
    EXPECT_NE(message.find("--calib-samples 43 exceeds the 42 distinct windows"), std::string::npos) << message;
  }
  EXPECT_THROW(sample_windows(counting_tokens(50), 1000000000, 8, 1, 512, 0, "t"), Error);
}

}  // namespace
}  // namespace qs
