#include "quant/gptq_pack.h"

#include "core/error.h"
#include "core/parallel.h"

namespace qs {
namespace {

void check_bits(int bits) {
  require(bits == 2 || bits == 3 || bits == 4 || bits == 8, "gptq pack",
          "unsupported bits " + std::to_string(bits) + " (2, 3, 4 or 8)");
}

// Writes 32 codes (value(k), k < count, zero beyond) into `bits` words at words[w * stride].
template <typename Value>
void pack_run(Value value, int64_t count, int bits, int32_t* words, int64_t stride) {
  for (int w = 0; w < bits; ++w) words[w * stride] = 0;
  for (int64_t k = 0; k < count; ++k) {
    const uint64_t code = value(k);
    const int64_t bit = k * bits, word = bit >> 5, shift = bit & 31;
    const uint64_t placed = code << shift;
    words[word * stride] = static_cast<int32_t>(static_cast<uint32_t>(words[word * stride]) | static_cast<uint32_t>(placed));
    if (shift + bits > 32)
      words[(word + 1) * stride] = static_cast<int32_t>(static_cast<uint32_t>(words[(word + 1) * stride]) |
                                                        static_cast<uint32_t>(placed >> 32));
  }
}

void check_values(const std::vector<uint32_t>& values, int64_t rows, int64_t cols, int bits) {
  check_bits(bits);
  require(static_cast<int64_t>(values.size()) == rows * cols, "gptq pack", "value count does not match the shape");
  for (uint32_t v : values)  // (no message string built per value: this runs over every weight)
    if (v >= (1u << bits))
      throw Error("gptq pack", "code " + std::to_string(v) + " does not fit in " + std::to_string(bits) + " bits");
}

}  // namespace

int64_t packed_words(int64_t count, int bits) { return (count + 31) / 32 * bits; }

std::vector<int32_t> pack_rows(const std::vector<uint32_t>& values, int64_t rows, int64_t cols, int bits) {
  check_values(values, rows, cols, bits);
  require(rows % 32 == 0, "gptq pack",
          "qweight packs the input dimension in runs of 32; in_features = " + std::to_string(rows) +
              " is not a multiple of 32");
  std::vector<int32_t> packed(rows / 32 * bits * cols);
  for (int64_t run = 0; run < rows / 32; ++run)
    for (int64_t c = 0; c < cols; ++c)
      pack_run([&](int64_t k) { return values[(run * 32 + k) * cols + c]; }, 32, bits, &packed[run * bits * cols + c],
               cols);
  return packed;
}

std::vector<int32_t> pack_qweight(const uint8_t* codes, int64_t out, int64_t in, int bits) {
  check_bits(bits);
  require(in % 32 == 0, "gptq pack",
          "qweight packs the input dimension in runs of 32; in_features = " + std::to_string(in) +
              " is not a multiple of 32");
  std::vector<int32_t> packed(in / 32 * bits * out);
  bool too_wide = false;
  // Run r of output o is codes[o, 32r : 32r + 32], contiguous; its words go to rows
  // r*bits .. r*bits + bits - 1 of qweight, column o.
#pragma omp parallel for reduction(|| : too_wide) if (worth_parallel(in * out))
  for (int64_t run = 0; run < in / 32; ++run)
    for (int64_t o = 0; o < out; ++o) {
      const uint8_t* run_codes = codes + o * in + run * 32;
      for (int k = 0; k < 32; ++k) too_wide = too_wide || run_codes[k] >= (1u << bits);
      pack_run([&](int64_t k) { return run_codes[k]; }, 32, bits, &packed[run * bits * out + o], out);
    }
  require(!too_wide, "gptq pack", "a code does not fit in " + std::to_string(bits) + " bits");
  return packed;
}

std::vector<uint32_t> unpack_rows(const std::vector<int32_t>& packed, int64_t rows, int64_t cols, int bits) {
  check_bits(bits);
  require(rows % 32 == 0 && static_cast<int64_t>(packed.size()) == rows / 32 * bits * cols, "gptq unpack",
          "qweight shape does not match in_features / 32 * bits x out_features");
  std::vector<uint32_t> values(rows * cols);
  uint32_t codes[32];
  for (int64_t run = 0; run < rows / 32; ++run)
    for (int64_t c = 0; c < cols; ++c) {
      unpack_run(&packed[run * bits * cols + c], cols, bits, codes);
      for (int k = 0; k < 32; ++k) values[(run * 32 + k) * cols + c] = codes[k];
    }
  return values;
}

std::vector<int32_t> pack_columns(const std::vector<uint32_t>& values, int64_t rows, int64_t cols, int bits) {
  check_values(values, rows, cols, bits);
  const int64_t width = packed_words(cols, bits);
  std::vector<int32_t> packed(rows * width);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t run = 0; run * 32 < cols; ++run)
      pack_run([&](int64_t k) { return values[r * cols + run * 32 + k]; }, std::min<int64_t>(32, cols - run * 32), bits,
               &packed[r * width + run * bits], 1);
  return packed;
}

std::vector<uint32_t> unpack_columns(const std::vector<int32_t>& packed, int64_t rows, int64_t cols, int bits) {
  check_bits(bits);
  const int64_t width = packed_words(cols, bits);
  require(static_cast<int64_t>(packed.size()) == rows * width, "gptq unpack",
          "qzeros shape does not match groups x ceil(out_features / 32) * bits");
  std::vector<uint32_t> values(rows * cols);
  uint32_t codes[32];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t run = 0; run * 32 < cols; ++run) {
      unpack_run(&packed[r * width + run * bits], 1, bits, codes);
      for (int64_t k = 0; k < 32 && run * 32 + k < cols; ++k) values[r * cols + run * 32 + k] = codes[k];
    }
  return values;
}

}  // namespace qs
