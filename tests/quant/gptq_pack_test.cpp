// GPTQ bit packing: the AutoGPTQ layout (checked against tests/reference/gptq_pack_reference.py),
// bit-exact round trips for every width and odd shapes, and GptqWeight's dequantization.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/error.h"
#include "core/half.h"
#include "quant/gptq.h"
#include "quant/gptq_pack.h"
#include "quant/gptq_weight.h"
#include "quant/hessian.h"
#include "quant/layer_fixture.h"
#include "test_support.h"

namespace qs {
namespace {

std::vector<uint32_t> random_codes(int64_t count, int bits, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> codes(count);
  for (auto& c : codes) c = static_cast<uint32_t>(rng() & ((1u << bits) - 1));
  return codes;
}

TEST(GptqPack, MatchesAutoGptqLayoutForEveryWidth) {
  test::ScratchDir dir("gptq_pack");
  const int64_t rows = 64, cols = 96;
  for (int bits : {2, 3, 4, 8}) {
    SCOPED_TRACE(bits);
    auto codes = random_codes(rows * cols, bits, 100 + bits);
    codes[0] = (1u << bits) - 1;  // all-ones codes exercise the straddling bits
    test::write_binary(dir.file("codes.bin"), codes);
    auto run = test::run_reference("gptq_pack_reference.py",
                                   dir.path() + " " + std::to_string(bits) + " " + std::to_string(rows) + " " +
                                       std::to_string(cols));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(pack_rows(codes, rows, cols, bits), test::read_binary<int32_t>(dir.file("ref_rows.bin")));
    EXPECT_EQ(pack_columns(codes, rows, cols, bits), test::read_binary<int32_t>(dir.file("ref_cols.bin")));
  }
}

TEST(GptqPack, KnownThreeBitWords) {
  // 32 codes all 7 fill three words with ones; code 10 = 4 puts one bit at word 1, bit 0.
  std::vector<uint32_t> sevens(32, 7);
  auto packed = pack_columns(sevens, 1, 32, 3);
  ASSERT_EQ(packed.size(), 3u);
  for (int32_t w : packed) EXPECT_EQ(static_cast<uint32_t>(w), 0xFFFFFFFFu);
  std::vector<uint32_t> one(32, 0);
  one[10] = 4;
  packed = pack_columns(one, 1, 32, 3);
  EXPECT_EQ(packed, (std::vector<int32_t>{0, 1, 0}));
  one[10] = 0;
  one[21] = 6;  // 0b110 at stream bit 63: low bit (0) is word 1 bit 31, high bits (11) word 2 bits 0-1
  packed = pack_columns(one, 1, 32, 3);
  EXPECT_EQ(packed, (std::vector<int32_t>{0, 0, 3}));
}

TEST(GptqPack, RoundTripsBitExactIncludingOddShapes) {
  for (int bits : {2, 3, 4, 8}) {
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{32, 1}, {64, 7}, {96, 33}, {32, 100}, {160, 45}}) {
      SCOPED_TRACE(std::to_string(bits) + " bits " + std::to_string(rows) + "x" + std::to_string(cols));
      auto codes = random_codes(rows * cols, bits, rows * 1000 + cols + bits);
      EXPECT_EQ(unpack_rows(pack_rows(codes, rows, cols, bits), rows, cols, bits), codes);
      // pack_qweight takes the [out, in] weight layout: the transpose of pack_rows' input.
      std::vector<uint8_t> weight_codes(rows * cols);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) weight_codes[c * rows + r] = static_cast<uint8_t>(codes[r * cols + c]);
      EXPECT_EQ(pack_qweight(weight_codes.data(), cols, rows, bits), pack_rows(codes, rows, cols, bits));
      // Along columns any count works (the stream is padded to 32-code runs); rows any count too.
      auto transposed_rows = cols, transposed_cols = rows + 3;
      auto codes2 = random_codes(transposed_rows * transposed_cols, bits, bits + 7);
      auto packed = pack_columns(codes2, transposed_rows, transposed_cols, bits);
      EXPECT_EQ(static_cast<int64_t>(packed.size()), transposed_rows * packed_words(transposed_cols, bits));
      EXPECT_EQ(unpack_columns(packed, transposed_rows, transposed_cols, bits), codes2);
    }
  }
}

TEST(GptqPack, RejectsWhatTheFormatCannotHold) {
  EXPECT_THROW(pack_rows(std::vector<uint32_t>(40, 0), 40, 1, 4), Error);       // in % 32 != 0
  EXPECT_THROW(pack_rows(std::vector<uint32_t>(32, 16), 32, 1, 4), Error);      // code too wide
  EXPECT_THROW(pack_rows(std::vector<uint32_t>(32, 0), 32, 1, 5), Error);       // bits
  EXPECT_THROW(unpack_rows(std::vector<int32_t>(3, 0), 32, 1, 4), Error);       // shape
  const std::vector<uint8_t> wide(32, 16), fine(40, 0);
  EXPECT_THROW(pack_qweight(wide.data(), 1, 32, 4), Error);                      // code too wide
  EXPECT_THROW(pack_qweight(fine.data(), 1, 40, 4), Error);                      // in % 32 != 0
}

TEST(GptqWeight, DequantizesExactlyWhatTheQuantizerProduced) {
  for (int bits : {2, 3, 4, 8}) {
    for (int group : {32, -1}) {
      for (bool act_order : {false, true}) {
        SCOPED_TRACE(std::to_string(bits) + " bits g" + std::to_string(group) + (act_order ? " act" : ""));
        const auto layer = test::make_layer(40, 96, 256, 77 + bits);  // out = 40: not a multiple of 32
        GptqOptions options;
        options.grid.bits = bits;
        options.grid.min_zero = 1;
        options.group_size = group;
        options.act_order = act_order;
        HessianAccumulator h(layer.in);
        h.add(layer.inputs.data(), layer.tokens);
        auto q = gptq_quantize(layer.weight.data(), layer.out, layer.in, h.hessian("l"), options, "l");
        std::vector<float> expected(layer.out * layer.in), got(layer.out * layer.in);
        q.dequantize_rows(0, layer.out, expected.data(), /*fp16_scales=*/true);
        GptqWeight weight(pack_gptq(q, group, "l"), "l");
        weight.rows_to_f32(0, layer.out, got.data());
        EXPECT_EQ(0, std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)));
        weight.rows_to_f32(5, 17, got.data());  // a block of rows in the middle
        EXPECT_EQ(0, std::memcmp(expected.data() + 5 * layer.in, got.data(), 12 * layer.in * sizeof(float)));
        const int64_t groups = group == -1 ? 1 : 3;
        // qweight (bits per weight) + qzeros (groups x ceil(40/32)*bits words) + fp16 scales.
        const double expected_bits =
            bits + (32.0 * groups * packed_words(40, bits) + 16.0 * groups * 40) / (40.0 * 96);
        EXPECT_DOUBLE_EQ(weight.bits_per_weight(), expected_bits);
      }
    }
  }
}

TEST(GptqWeight, ZeroPointConventionIsStoredMinusOne) {
  // One group, zero 8 at 4 bits: the v1 format stores 7 (the familiar 0x77777777 words).
  QuantizedLinear q;
  q.out_features = 8;
  q.in_features = 32;
  q.bits = 4;
  q.group_size = 32;
  q.codes.assign(8 * 32, 9);
  q.scales.assign(8, 0.5);
  q.zeros.assign(8, 8);
  q.g_idx = sequential_g_idx(32, 32);
  auto t = pack_gptq(q, 32, "l");
  ASSERT_EQ(t.qzeros.size(), 4u);  // ceil(8 / 32) * 4 words, padded with zero codes
  EXPECT_EQ(static_cast<uint32_t>(t.qzeros[0]), 0x77777777u);
  GptqWeight w(t, "l");
  std::vector<float> row(32);
  w.rows_to_f32(3, 4, row.data());
  for (float v : row) EXPECT_EQ(v, 0.5f);  // 0.5 * (9 - 8)
  q.zeros[3] = 0;
  EXPECT_THROW(pack_gptq(q, 32, "l"), Error);
}

TEST(GptqWeight, RejectsInconsistentTensors) {
  GptqTensors t;
  t.bits = 4;
  t.out_features = 32;
  t.in_features = 64;
  t.qweight.assign(64 / 32 * 4 * 32, 0);
  t.qzeros.assign(2 * 4, 0);
  t.scales.assign(2 * 32, f32_to_fp16(1.0f));
  t.g_idx = sequential_g_idx(64, 32);
  EXPECT_NO_THROW(GptqWeight(t, "ok"));
  auto bad = t;
  bad.g_idx[7] = 2;
  EXPECT_THROW(GptqWeight(bad, "g_idx"), Error);
  bad = t;
  bad.qweight.pop_back();
  EXPECT_THROW(GptqWeight(bad, "qweight"), Error);
  bad = t;
  bad.qzeros.pop_back();
  EXPECT_THROW(GptqWeight(bad, "qzeros"), Error);
}

}  // namespace
}  // namespace qs
