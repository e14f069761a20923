// GPTQ on degenerate inputs: each case is a clear qs::Error or a reported fallback.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "quant/gptq.h"
#include "quant/rtn.h"
#include "quant/hessian.h"
#include "quant/layer_fixture.h"

namespace qs {
namespace {

std::vector<double> hessian_of(const test::LayerData& layer) {
  HessianAccumulator accumulator(layer.in);
  accumulator.add(layer.inputs.data(), layer.tokens);
  return accumulator.hessian("fixture");
}

// ||W - W_hat||: codes are sane when the reconstruction is close to the original.
double relative_reconstruction_error(const test::LayerData& layer, const QuantizedLinear& q) {
  std::vector<float> dequantized(layer.out * layer.in);
  q.dequantize_rows(0, layer.out, dequantized.data(), false);
  double num = 0, den = 0;
  for (size_t i = 0; i < dequantized.size(); ++i) {
    num += std::pow(dequantized[i] - layer.weight[i], 2);
    den += std::pow(layer.weight[i], 2);
  }
  return std::sqrt(num / den);
}

TEST(GptqBadInput, RankDeficientHessianIsDampedAndQuantizes) {
  // 16 tokens for 64 inputs: rank(H) <= 16, but damping makes it positive definite.
  const auto layer = test::make_layer(32, 64, 16, 7);
  GptqStats stats;
  auto q = gptq_quantize(layer.weight.data(), 32, 64, hessian_of(layer), GptqOptions{}, "rank16", &stats);
  EXPECT_EQ(stats.cholesky_retries, 0);
  EXPECT_LT(relative_reconstruction_error(layer, q), 0.2);
}

TEST(GptqBadInput, SingularHessianWithoutDampingRetriesWithMoreDamping) {
  const auto layer = test::make_layer(32, 64, 16, 8);
  GptqOptions options;
  options.damp = 0;
  GptqStats stats;
  auto q = gptq_quantize(layer.weight.data(), 32, 64, hessian_of(layer), options, "singular", &stats);
  EXPECT_GT(stats.cholesky_retries, 0);
  EXPECT_GT(stats.damp_used, 0);
  EXPECT_LT(relative_reconstruction_error(layer, q), 0.2);
}

TEST(GptqBadInput, AllZeroInputColumnsAreDeadAndZeroed) {
  auto layer = test::make_layer(32, 64, 128, 9, /*dead_columns=*/3);
  GptqStats stats;
  auto q = gptq_quantize(layer.weight.data(), 32, 64, hessian_of(layer), GptqOptions{}, "dead", &stats);
  EXPECT_EQ(stats.dead_columns, 3);
  std::vector<float> dequantized(32 * 64);
  q.dequantize_rows(0, 32, dequantized.data(), false);
  for (int d = 0; d < 3; ++d) {
    const int64_t column = (d * 37 + 5) % 64;
    for (int64_t o = 0; o < 32; ++o) EXPECT_EQ(dequantized[o * 64 + column], 0.0f) << "column " << column;
  }
}

TEST(GptqBadInput, AllZeroHessianStillQuantizes) {
  // No input ever reaches the layer's features: every column is dead.
  const auto layer = test::make_layer(32, 64, 16, 10);
  GptqStats stats;
  auto q = gptq_quantize(layer.weight.data(), 32, 64, std::vector<double>(64 * 64, 0.0), GptqOptions{}, "zeros", &stats);
  EXPECT_EQ(stats.dead_columns, 64);
}

TEST(GptqBadInput, NanWeightIsAnErrorNamingLayerAndPosition) {
  auto layer = test::make_layer(32, 64, 128, 11);
  layer.weight[5 * 64 + 7] = std::numeric_limits<float>::quiet_NaN();
  try {
    gptq_quantize(layer.weight.data(), 32, 64, hessian_of(layer), GptqOptions{}, "model.layers.0.mlp.up_proj");
    FAIL() << "expected qs::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), "model.layers.0.mlp.up_proj");
    EXPECT_NE(std::string(e.what()).find("row 5, column 7"), std::string::npos) << e.what();
  }
  EXPECT_THROW(rtn_quantize(layer.weight.data(), 32, 64, QuantGrid{}, 32, "rtn"), Error);
}

TEST(GptqBadInput, InfiniteActivationIsAnErrorNamingLayer) {
  auto layer = test::make_layer(32, 64, 128, 12);
  layer.inputs[3 * 64 + 2] = std::numeric_limits<float>::infinity();
  HessianAccumulator accumulator(64);
  accumulator.add(layer.inputs.data(), layer.tokens);
  EXPECT_THROW(accumulator.hessian("model.layers.1.self_attn.o_proj"), Error);
  HessianAccumulator empty(64);
  EXPECT_THROW(empty.hessian("never_reached"), Error);
}

TEST(GptqBadInput, UnsupportedBitsAndGroupSizesAreErrors) {
  const auto layer = test::make_layer(32, 64, 128, 13);
  for (int bits : {0, 1, 5, 6, 7, 16}) {
    GptqOptions options;
    options.grid.bits = bits;
    EXPECT_THROW(gptq_quantize(layer.weight.data(), 32, 64, hessian_of(layer), options, "bits"), Error) << bits;
  }
  GptqOptions options;
  options.group_size = 0;
  EXPECT_THROW(gptq_quantize(layer.weight.data(), 32, 64, hessian_of(layer), options, "group"), Error);
  EXPECT_THROW(gptq_quantize(layer.weight.data(), 32, 64, std::vector<double>(10), GptqOptions{}, "shape"), Error);
}

TEST(GptqBadInput, MinZeroKeepsV1RepresentableZeroPoints) {
  // All-positive groups give zero = 0, which the v1 checkpoint (stores zero - 1) cannot hold.
  std::vector<double> x = {0.1, 0.5, 0.9, 1.3};
  double scale, zero;
  QuantGrid grid;
  find_grid_params(x.data(), 1, 4, 4, grid, &scale, &zero);
  EXPECT_EQ(zero, 0);
  grid.min_zero = 1;
  find_grid_params(x.data(), 1, 4, 4, grid, &scale, &zero);
  EXPECT_EQ(zero, 1);
}

}  // namespace
}  // namespace qs
