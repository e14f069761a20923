// A study's quantizer options ([quantization] act_order, true_sequential, lm_head,
// heldout_samples): parsed and validated at their line, in point ids only when not the default
// (ids of studies that do not set them stay what they were), and honoured by the point that runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "quant/gptq_weight.h"
#include "sweep/grid.h"
#include "sweep/pipeline_runner.h"
#include "sweep/study.h"
#include "sweep/sweep_fixtures.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

using ::testing::HasSubstr;

const char* const kOptionsGrid = "methods = [\"gptq\", \"rtn\"]\nbits = [4]\ngroup_sizes = [32]\ncalib_samples = [2]\n";

Study study_with(const std::string& options) {
  return parse_study(test::tiny_study("out", std::string(kOptionsGrid) + options), "/a/study.toml");
}

// Names here are unique to this file: the sanitized CI build compiles tests in unity batches.
std::string study_error(const std::string& options) {
  return test::error_of([&] { study_with(options); });
}

const SweepPoint& point_of(const std::vector<SweepPoint>& grid, QuantMethod method) {
  return *std::find_if(grid.begin(), grid.end(), [&](const SweepPoint& p) { return p.method == method; });
}

TEST(SweepQuantizerOptions, ParsedAndValidatedAtTheirLine) {
  const Study defaults = study_with("");
  EXPECT_FALSE(defaults.act_order);
  EXPECT_FALSE(defaults.true_sequential);
  EXPECT_FALSE(defaults.quantize_lm_head);
  EXPECT_EQ(defaults.heldout_samples, QuantizeOptions{}.heldout_samples);
  const Study set = study_with("act_order = true\ntrue_sequential = true\nlm_head = true\nheldout_samples = 0\n");
  EXPECT_TRUE(set.act_order);
  EXPECT_TRUE(set.true_sequential);
  EXPECT_TRUE(set.quantize_lm_head);
  EXPECT_EQ(set.heldout_samples, 0);
  EXPECT_THAT(study_error("act_order = 1\n"), HasSubstr("quantization.act_order must be true or false"));
  EXPECT_THAT(study_error("lm_head = \"yes\"\n"), HasSubstr("quantization.lm_head must be true or false"));
  EXPECT_THAT(study_error("heldout_samples = -1\n"), HasSubstr("heldout_samples must be 0 or more"));
  EXPECT_THAT(study_error("heldout_samples = true\n"), HasSubstr("must be an integer"));
  EXPECT_THAT(study_error("lm_heads = true\n"), HasSubstr("unknown key 'lm_heads'"));
}

TEST(SweepQuantizerOptions, InPointIdsOnlyWhenNotTheDefault) {
  const std::vector<SweepPoint> plain = expand_grid(study_with(""));
  const std::string gptq_settings = canonical_settings(study_with(""), point_of(plain, QuantMethod::Gptq));
  for (const char* key : {"act_order", "true_sequential", "lm_head", "heldout_samples"})
    EXPECT_THAT(gptq_settings, ::testing::Not(HasSubstr(key)));
  // Writing a default out keeps every id.
  const std::vector<SweepPoint> explicit_defaults = expand_grid(study_with(
      "act_order = false\ntrue_sequential = false\nlm_head = false\nheldout_samples = " +
      std::to_string(QuantizeOptions{}.heldout_samples) + "\n"));
  ASSERT_EQ(plain.size(), explicit_defaults.size());
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(plain[i].id, explicit_defaults[i].id);
  // GPTQ-only options move GPTQ ids; quantizer-wide ones every quantized point; never the baseline.
  const auto moved = [&](const std::string& options, QuantMethod method) {
    return point_of(expand_grid(study_with(options)), method).id != point_of(plain, method).id;
  };
  for (const char* options : {"act_order = true\n", "true_sequential = true\n"}) {
    EXPECT_TRUE(moved(options, QuantMethod::Gptq)) << options;
    EXPECT_FALSE(moved(options, QuantMethod::Rtn)) << options;
    EXPECT_FALSE(moved(options, QuantMethod::Fp)) << options;
  }
  for (const char* options : {"lm_head = true\n", "heldout_samples = 0\n"}) {
    EXPECT_TRUE(moved(options, QuantMethod::Gptq)) << options;
    EXPECT_TRUE(moved(options, QuantMethod::Rtn)) << options;
    EXPECT_FALSE(moved(options, QuantMethod::Fp)) << options;
  }
}

// The GPTQ point of the shipped model quantized as the sweep quantizes it.
struct QuantizedPoint {
  std::unique_ptr<Transformer> model;
  PointResult result;
  QuantizeReport report;
};
QuantizedPoint quantize_gptq_point(const Study& study) {
  const SweepPoint point = point_of(expand_grid(study), QuantMethod::Gptq);  // a copy: the grid is a temporary
  QuantizedPoint q;
  std::unique_ptr<Tokenizer> tokenizer = Tokenizer::load(point.model_path);
  q.model = quantize_point(study, point, PointContext{}, ModelFolder::open(point.model_path), *tokenizer, q.result,
                           &q.report);
  return q;
}

TEST(SweepQuantizerOptions, ThePointQuantizesWithThem) {
  const QuantizedPoint plain = quantize_gptq_point(study_with(""));
  const QuantizedPoint set = quantize_gptq_point(study_with("act_order = true\nlm_head = true\nheldout_samples = 0\n"));
  // lm_head: quantized and untied from the shipped model's tied embedding, which stays dense, so
  // the point's memory grows by the packed lm_head (g_idx not counted) and its report by a layer.
  EXPECT_FALSE(plain.model->lm_head_untied());
  ASSERT_TRUE(set.model->lm_head_untied());
  EXPECT_NE(dynamic_cast<const GptqWeight*>(&set.model->lm_head()), nullptr);
  EXPECT_EQ(set.result.quant.memory_bytes, plain.result.quant.memory_bytes + set.model->lm_head().stored_bytes());
  EXPECT_EQ(set.report.layers.size(), plain.report.layers.size() + 1);
  // heldout_samples = 0: no output error measured (the point records GPTQ's own loss instead).
  for (const LayerReport& layer : set.report.layers) EXPECT_LT(layer.output_error, 0) << layer.name;
  for (const LayerReport& layer : plain.report.layers) EXPECT_GE(layer.output_error, 0) << layer.name;
  // act_order: columns in decreasing Hessian diagonal, so g_idx is no longer ascending.
  const auto ascending = [](const Transformer& model) {
    const auto* w = dynamic_cast<const GptqWeight*>(&model.linear(0, "mlp.gate_proj"));
    return w != nullptr && std::is_sorted(w->tensors().g_idx.begin(), w->tensors().g_idx.end());
  };
  EXPECT_TRUE(ascending(*plain.model));
  EXPECT_FALSE(ascending(*set.model));
}

}  // namespace
}  // namespace qs
