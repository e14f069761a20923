// Issue 14 item 6: a NaN or Inf is never taken for a result. A model whose activations overflow
// (a huge finite weight), a GPTQ folder whose scales hold NaN, a scale fp16 cannot hold and a
// sweep point with a non-finite measurement each end in an error naming the tensor, token,
// layer or metric.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/half.h"
#include "io/random_checkpoint.h"
#include "model/perplexity.h"
#include "model/transformer.h"
#include "quant/gptq_weight.h"
#include "quant/quantize_model.h"
#include "sweep/point_runner.h"
#include "test_support.h"

namespace qs {
namespace {

using test::error_of;

// Weights of std ~1e30: finite in fp32 (so the load-time finiteness scan passes), but the
// first matmul's products (~1e60) overflow to Inf and Inf - Inf gives NaN downstream.
void write_overflowing_checkpoint(const std::string& dir) {
  write_random_checkpoint(dir, tiny_config_json("LlamaForCausalLM"), {.dtype = DType::F32, .seed = 3, .scale = 1e30});
}

TEST(NonFinite, PerplexityOfAnOverflowingModelIsAnErrorNamingTheToken) {
  test::ScratchDir dir("non_finite_ppl");
  write_overflowing_checkpoint(dir.path());
  auto model = Transformer::load(dir.path());
  std::vector<int32_t> tokens(40);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((7 * i + 3) % 256);
  const std::string message = error_of([&] { strided_perplexity(*model, tokens, 16, 16); });
  EXPECT_NE(message.find("non-finite log-probability"), std::string::npos) << message;
  EXPECT_NE(message.find("token 1 "), std::string::npos) << message;  // the first scored token
  EXPECT_NE(message.find("window 0"), std::string::npos) << message;
}

TEST(NonFinite, GptqScalesHoldingNanAreAnErrorAtLoadNamingTheTensor) {
  GptqTensors t;
  t.bits = 4;
  t.group_size = 32;
  t.out_features = 32;
  t.in_features = 64;
  t.qweight.assign(64 / 32 * 4 * 32, 0);
  t.qzeros.assign(2 * 4, 0);
  t.scales.assign(2 * 32, f32_to_fp16(1.0f));
  t.g_idx = sequential_g_idx(64, 32);
  EXPECT_NO_THROW(GptqWeight(t, "m.safetensors: model.layers.0.mlp.up_proj"));
  t.scales[32 + 5] = 0x7e00;  // fp16 NaN: group 1, column 5
  const std::string message = error_of([&] { GptqWeight(t, "m.safetensors: model.layers.0.mlp.up_proj"); });
  EXPECT_NE(message.find("model.layers.0.mlp.up_proj.scales"), std::string::npos) << message;
  EXPECT_NE(message.find("group 1, column 5"), std::string::npos) << message;
  t.scales[32 + 5] = 0x7c00;  // +Inf
  EXPECT_THROW(GptqWeight(t, "inf"), Error);
}

TEST(NonFinite, QuantizeRefusesAScaleThatFp16CannotHold) {
  // RTN over a row spanning 2e6 at 4 bits: scale 2e6 / 15 ~ 1.3e5 > 65504 (fp16's largest);
  // it used to be written as Inf, and the checkpoint's perplexity read back as NaN.
  QuantizedLinear q = allocate_quantized_linear(8, 32, 4, 32);
  q.g_idx = sequential_g_idx(32, 32);
  std::fill(q.scales.begin(), q.scales.end(), 0.5);
  std::fill(q.zeros.begin(), q.zeros.end(), 8);
  EXPECT_NO_THROW(pack_gptq(q, 32, "layer"));
  q.scales[3] = 2e6 / 15;
  const std::string message = error_of([&] { pack_gptq(q, 32, "model.layers.1.self_attn.o_proj"); });
  EXPECT_NE(message.find("model.layers.1.self_attn.o_proj"), std::string::npos) << message;
  EXPECT_NE(message.find("row 3"), std::string::npos) << message;
  EXPECT_NE(message.find("fp16"), std::string::npos) << message;
}

TEST(NonFinite, RtnOfAModelWithHugeWeightsWritesNoCheckpoint) {
  test::ScratchDir dir("non_finite_rtn");
  write_random_checkpoint(dir.file("model"), tiny_config_json("LlamaForCausalLM"), {.dtype = DType::F32, .scale = 1e8});
  QuantizeOptions o;
  o.method = QuantMethod::Rtn;
  o.gptq.grid.bits = 4;
  o.gptq.group_size = 32;
  o.show_progress = false;
  const std::string message = error_of([&] { quantize_model(dir.file("model"), o, dir.file("out")); });
  EXPECT_NE(message.find("not finite in fp16"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/model.safetensors")));
}

// A runner that reports the given measurements, as a pipeline over a broken model would.
class FixedRunner : public PointRunner {
 public:
  FixedRunner(double acc, double ppl) : acc_(acc), ppl_(ppl) {}
  void run(const Study&, const SweepPoint&, const PointContext&, PointResult& result) override {
    result.metrics.push_back({"arc_easy", "L2", "acc", acc_, 0.01, 0.25, 100, true});
    result.ppl = ppl_;
  }

 private:
  double acc_, ppl_;
};

TEST(NonFinite, SweepPointWithANonFiniteMeasurementIsFailed) {
  Study study;
  SweepPoint point;
  point.id = "00000000000000aa";
  point.model = "m";
  point.method = QuantMethod::Rtn;
  FixedRunner good(0.5, 12.0);
  EXPECT_EQ(run_point(good, study, point, {}).status, PointStatus::Ok);
  FixedRunner nan_acc(std::numeric_limits<double>::quiet_NaN(), 0);
  PointResult failed = run_point(nan_acc, study, point, {});
  EXPECT_EQ(failed.status, PointStatus::Failed);
  EXPECT_NE(failed.error.find("arc_easy"), std::string::npos) << failed.error;
  EXPECT_TRUE(failed.metrics.empty());
  FixedRunner inf_ppl(0.5, std::numeric_limits<double>::infinity());
  failed = run_point(inf_ppl, study, point, {});
  EXPECT_EQ(failed.status, PointStatus::Failed);
  EXPECT_NE(failed.error.find("perplexity"), std::string::npos) << failed.error;
}

}  // namespace
}  // namespace qs
