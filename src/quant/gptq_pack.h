#pragma once
// The GPTQ checkpoint's bit packing (AutoGPTQ QuantLinear.pack, the layout Transformers/optimum,
// vLLM and exllama read): every run of 32 codes becomes `bits` int32 words holding one
// little-endian bit stream, code k at bits [k*bits, (k+1)*bits). For 2/4/8 bits a word holds
// 32/bits whole codes; for 3 bits codes 10 and 21 straddle words (2+1 and 1+2 bits).
//   qweight int32 [in/32*bits, out]: codes packed along the input dimension (dim 0);
//     the format requires in % 32 == 0 (pack_rows throws otherwise).
//   qzeros  int32 [groups, ceil(out/32)*bits]: (zero - 1) packed along the output dimension; the
//     stream is zero-padded to whole 32-code runs. AutoGPTQ-family loaders size this as
//     out/32*bits, so they read it only when out % 32 == 0 (every real model); our loader reads any.
#include <cstdint>
#include <vector>

namespace qs {

// values: [rows, cols] row-major, each < 2^bits. Packs along rows (qweight). rows % 32 == 0.
std::vector<int32_t> pack_rows(const std::vector<uint32_t>& values, int64_t rows, int64_t cols, int bits);
std::vector<uint32_t> unpack_rows(const std::vector<int32_t>& packed, int64_t rows, int64_t cols, int bits);

// codes: [out, in] row-major (a quantized weight, one code per byte), each < 2^bits. The qweight
// of that weight: pack_rows of its transpose, without materialising the transpose.
std::vector<int32_t> pack_qweight(const uint8_t* codes, int64_t out, int64_t in, int bits);

// values: [rows, cols] row-major. Packs along cols (qzeros), padding each row to 32-code runs.
std::vector<int32_t> pack_columns(const std::vector<uint32_t>& values, int64_t rows, int64_t cols, int bits);
std::vector<uint32_t> unpack_columns(const std::vector<int32_t>& packed, int64_t rows, int64_t cols, int bits);

int64_t packed_words(int64_t count, int bits);  // ceil(count / 32) * bits

// Extracts the 32 codes of one run from `bits` words (word w at words[w * stride]).
inline void unpack_run(const int32_t* words, int64_t stride, int bits, uint32_t* codes) {
  const uint32_t mask = (1u << bits) - 1;
  for (int k = 0; k < 32; ++k) {
    const int bit = k * bits, word = bit >> 5, shift = bit & 31;
    uint64_t pair = static_cast<uint32_t>(words[word * stride]);
    if (shift + bits > 32) pair |= static_cast<uint64_t>(static_cast<uint32_t>(words[(word + 1) * stride])) << 32;
    codes[k] = static_cast<uint32_t>(pair >> shift) & mask;
  }
}

}  // namespace qs
