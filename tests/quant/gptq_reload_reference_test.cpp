// Exported checkpoints read back by an outside dequantizer written from AutoGPTQ's formula
// (tests/reference/gptq_dequant_reference.py; quantscale's own unpacker is not a reference), for
// every bits {2, 3, 4, 8} x {sym, asym} x {act-order on/off}: the codes and zero points it reads
// are those quantscale holds in memory, and its weights those quantscale evaluates.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/atomic_file.h"
#include "quant/gptq_pack.h"
#include "quant/gptq_weight.h"
#include "quant/layer_fixture.h"
#include "quant/quantize_model.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

struct Combination {
  int bits;
  bool sym, act_order;
  std::string folder() const {  // appended piecewise: GCC 12 -Wrestrict false positive on "lit" + string&&
    std::string name = "b";
    name += std::to_string(bits);
    name += sym ? "-sym" : "-asym";
    name += act_order ? "-act" : "";
    return name;
  }
};

TEST(GptqReloadReference, AutoGptqFormulaReadsTheCodesAndWeightsQuantscaleHolds) {
  test::ScratchDir dir("gptq_reload_reference");
  const std::string model_dir = test::shared_file("models/tinystories-656k");
  QuantizeOptions base;
  base.calib_file = test::shared_file("calibration/wikitext2_train_5k.txt");
  std::string text = read_file(base.calib_file);
  text.resize(std::min<size_t>(text.size(), 200000));
  base.calib_tokens = std::make_shared<const std::vector<int32_t>>(Tokenizer::load(model_dir)->encode(text, true));
  base.calib_samples = 4;
  base.seq_len = 64;
  base.heldout_samples = 0;
  base.show_progress = false;
  base.gptq.group_size = 32;

  std::vector<Combination> combinations;
  for (int bits : {2, 3, 4, 8})
    for (bool sym : {true, false})
      for (bool act : {false, true}) combinations.push_back({bits, sym, act});
  std::vector<QuantizedModel> models;
  std::string folders;
  for (const auto& c : combinations) {
    QuantizeOptions o = base;
    o.gptq.grid.bits = c.bits;
    o.gptq.grid.sym = c.sym;
    o.gptq.act_order = c.act_order;
    models.push_back(quantize_in_memory(model_dir, o));
    export_quantized(models.back(), dir.file(c.folder()));
    folders += ' ';
    folders += dir.file(c.folder());
  }
  const auto run = test::run_reference("gptq_dequant_reference.py", folders);
  ASSERT_EQ(run.exit_code, 0) << run.output;

  for (size_t m = 0; m < combinations.size(); ++m) {
    const Combination& c = combinations[m];
    const Transformer& model = *models[m].model;
    int64_t codes_compared = 0, code_mismatches = 0, zero_mismatches = 0, permuted_linears = 0;
    double max_exact_diff = 0, max_fp16_diff = 0, max_fp16_relative = 0;
    for (int64_t layer = 0; layer < model.config().n_layers; ++layer)
      for (const auto& group : model.linear_groups())
        for (const auto& name : group) {
          const std::string prefix = model.config().layer_prefix(layer) + name;
          const auto& weight = dynamic_cast<const GptqWeight&>(model.linear(layer, name));
          const GptqTensors& t = weight.tensors();
          const int64_t out = t.out_features, in = t.in_features, groups = t.n_groups();
          const std::string ref = dir.file(c.folder() + "/reference/" + prefix);
          const auto ref_codes = test::read_binary<int32_t>(ref + ".codes");  // [in, out]
          const auto ref_zeros = test::read_binary<int32_t>(ref + ".zeros");  // [groups, out]
          const auto ref_w16 = test::read_binary<float>(ref + ".w16");        // [out, in]
          const auto ref_w64 = test::read_binary<double>(ref + ".w64");       // [out, in]
          ASSERT_EQ(static_cast<int64_t>(ref_codes.size()), in * out) << prefix;
          ASSERT_EQ(static_cast<int64_t>(ref_zeros.size()), groups * out) << prefix;
          ASSERT_EQ(static_cast<int64_t>(ref_w64.size()), out * in) << prefix;

          const auto codes = unpack_rows(t.qweight, in, out, t.bits);
          for (int64_t k = 0; k < in * out; ++k) code_mismatches += ref_codes[k] != static_cast<int32_t>(codes[k]);
          codes_compared += in * out;
          const auto zeros = unpack_columns(t.qzeros, groups, out, t.bits);
          for (int64_t k = 0; k < groups * out; ++k)
            zero_mismatches += ref_zeros[k] != static_cast<int32_t>(zeros[k]) + t.zero_offset;
          for (int64_t i = 1; i < in; ++i)
            if (t.g_idx[i] < t.g_idx[i - 1]) {
              ++permuted_linears;
              break;
            }

          std::vector<float> w(out * in);
          weight.rows_to_f32(0, out, w.data());
          for (int64_t k = 0; k < out * in; ++k) {
            // An fp16 scale (11 significant bits) times q - z (|q - z| < 2^8) needs at most 19
            // bits, so quantscale's fp32 product and the float64 formula are both exact: 0.
            max_exact_diff = std::max(max_exact_diff, std::fabs(w[k] - ref_w64[k]));
            // AutoGPTQ computes the product in fp16: one rounding, |d| <= 2^-11 |w| (unit
            // roundoff), or <= 2^-25 absolute below fp16's normal range (2^-14).
            const double d = std::fabs(static_cast<double>(ref_w16[k]) - ref_w64[k]);
            EXPECT_LE(d, std::ldexp(std::fabs(ref_w64[k]), -11) + std::ldexp(1.0, -25))
                << c.folder() << " " << prefix << " [" << k / in << ", " << k % in << "]";
            max_fp16_diff = std::max(max_fp16_diff, d);
            if (ref_w64[k] != 0) max_fp16_relative = std::max(max_fp16_relative, d / std::fabs(ref_w64[k]));
          }
        }
    EXPECT_EQ(code_mismatches, 0) << c.folder();
    EXPECT_EQ(zero_mismatches, 0) << c.folder();
    EXPECT_EQ(max_exact_diff, 0.0) << c.folder();
    // act-order stores a permuted g_idx: the reference's scales[g_idx] indexing is exercised.
    if (c.act_order) {
      EXPECT_GT(permuted_linears, 0) << c.folder();
    }
    std::printf("[ reload ] %-14s %lld codes equal (%lld differ), zeros differ %lld, max |dw| vs exact %.3g, "
                "vs AutoGPTQ fp16 %.3g (relative %.3g <= 2^-11 = %.3g)\n",
                c.folder().c_str(), static_cast<long long>(codes_compared - code_mismatches),
                static_cast<long long>(code_mismatches), static_cast<long long>(zero_mismatches), max_exact_diff,
                max_fp16_diff, max_fp16_relative, std::ldexp(1.0, -11));
  }
}

}  // namespace
}  // namespace qs
