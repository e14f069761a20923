// Per-target file (core/cpu_dispatch.h): Highway compiles the widening once per instruction set.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/gptq_dequantize.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/cpu_dispatch.h"
#include "hwy/highway.h"
#include "quant/gptq_dequantize.h"
#include "quant/gptq_pack.h"

HWY_BEFORE_NAMESPACE();
namespace qs {
namespace HWY_NAMESPACE {

void DequantizeGptqRows(const PackedGptqView& weight, int64_t row_begin, int64_t row_end, float* dst) {
  const int64_t out = weight.out_features, in = weight.in_features;
  const int bits = weight.bits;
  uint32_t codes[32];
  for (int64_t run = 0; run < in / 32; ++run) {
    const int32_t* words = weight.qweight + run * bits * out;
    const int32_t* groups = weight.g_idx + run * 32;
    for (int64_t o = row_begin; o < row_end; ++o) {
      unpack_run(words + o, out, bits, codes);
      float* row = dst + (o - row_begin) * in + run * 32;
      for (int k = 0; k < 32; ++k) {
        const int64_t g = groups[k];
        row[k] = weight.scale[g * out + o] * (static_cast<float>(codes[k]) - weight.zero[g * out + o]);
      }
    }
  }
}

namespace hn = hwy::HWY_NAMESPACE;

namespace {
using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;
using DI = hn::RebindToSigned<DF>;
using DU = hn::RebindToUnsigned<DF>;

// 2^23 + code as fp32: the code's bits under the exponent of 2^23 (one OrAnd: a single ternary-
// logic instruction on AVX-512, instead of a mask and an int→float conversion). Subtracting
// 2^23 + zero (exact: both below 2^24) leaves code − zero exactly, as float(code) − zero does.
constexpr uint32_t kMagicBits = 0x4B000000u;  // 2^23
constexpr float kMagic = 8388608.0f;

template <int kBits>
HWY_INLINE VF MagicCode(hn::Vec<DU> shifted) {
  const DF df;
  const DU du;
  return hn::BitCast(df, hn::OrAnd(hn::Set(du, kMagicBits), shifted, hn::Set(du, (1u << kBits) - 1)));
}

// 2^23 + code of input k (0..31) of a 32-input run for the Lanes(DF) output columns whose word j
// of the run is at words[j · out]: the bit stream of gptq_pack.h, a code straddling two words
// (3 bits: k = 10, 21) joined from both.
template <int kBits>
HWY_INLINE VF CodesAt(const int32_t* words, int64_t out, int k) {
  const DI di;
  const DU du;
  const int bit = k * kBits, word = bit >> 5, shift = bit & 31;
  auto v = hn::ShiftRightSame(hn::BitCast(du, hn::LoadU(di, words + word * out)), shift);
  if (shift + kBits > 32)
    v = hn::Or(v, hn::ShiftLeftSame(hn::BitCast(du, hn::LoadU(di, words + (word + 1) * out)), 32 - shift));
  return MagicCode<kBits>(v);
}

// Scale and zero of every group a run uses when it uses one (g_idx constant over the run: every
// checkpoint without act-order, and most runs of one with it), else −1: the per-input loads are
// then skipped.
void RunGroups(const PackedGptqView& w, std::vector<int32_t>& run_group) {
  run_group.resize(static_cast<size_t>(w.in_features / 32));
  for (int64_t run = 0; run < w.in_features / 32; ++run) {
    const int32_t* g = w.g_idx + run * 32;
    run_group[static_cast<size_t>(run)] = std::all_of(g, g + 32, [&](int32_t v) { return v == g[0]; }) ? g[0] : -1;
  }
}

// Calls emit(i, w) for the 32 inputs i of `run` in order with w[c] = the dequantized weights
// W[o + c·N .. o + (c + 1)·N, i] of C adjacent column vectors (scale · (code − zero), one
// subtract and one multiply: the same bits as DequantizeGptqRows). C > 1 gives the decode product
// C independent FMA chains per token, so batch 1 is not bound by the FMA latency.
template <int kBits, int C, class Emit>
HWY_INLINE void RunInputs(const PackedGptqView& w, const int32_t* run_group, int64_t run, int64_t o, const Emit& emit) {
  const DF df;
  const DI di;
  const DU du;
  const int64_t out = w.out_features, n = static_cast<int64_t>(hn::Lanes(df));
  const VF magic = hn::Set(df, kMagic);
  const int32_t* words = w.qweight + run * kBits * out + o;
  const int32_t group = run_group[run];
  VF scale[C], zero[C];  // zero: 2^23 + the zero point
  const auto load_group = [&](int64_t g) {
    for (int c = 0; c < C; ++c) {
      scale[c] = hn::LoadU(df, w.scale + g * out + o + c * n);
      zero[c] = hn::Add(hn::LoadU(df, w.zero + g * out + o + c * n), magic);
    }
  };
  if (group >= 0) load_group(group);
  const auto emit_codes = [&](int k, const VF* code) {
    if (group < 0) load_group(w.g_idx[run * 32 + k]);
    VF weight[C];
    for (int c = 0; c < C; ++c) weight[c] = hn::Mul(scale[c], hn::Sub(code[c], zero[c]));
    emit(run * 32 + k, weight);
  };
  VF code[C];
  if constexpr (32 % kBits == 0) {
    // 2, 4, 8 bits: whole codes per word; each word loaded once.
    for (int j = 0; j < kBits; ++j) {
      hn::Vec<DU> word[C];
      for (int c = 0; c < C; ++c) word[c] = hn::BitCast(du, hn::LoadU(di, words + j * out + c * n));
      for (int k = 0; k < 32 / kBits; ++k) {
        for (int c = 0; c < C; ++c) code[c] = MagicCode<kBits>(hn::ShiftRightSame(word[c], k * kBits));
        emit_codes(j * (32 / kBits) + k, code);
      }
    }
  } else {
    for (int k = 0; k < 32; ++k) {
      for (int c = 0; c < C; ++c) code[c] = CodesAt<kBits>(words + c * n, out, k);
      emit_codes(k, code);
    }
  }
}

// RunInputs over every run: all inputs of columns [o, o + C·N) in order.
template <int kBits, int C, class Emit>
HWY_INLINE void ForEachInput(const PackedGptqView& w, const int32_t* run_group, int64_t o, const Emit& emit) {
  for (int64_t run = 0; run < w.in_features / 32; ++run) RunInputs<kBits, C>(w, run_group, run, o, emit);
}

// One output column at a time, scalar: the columns past the last whole vector.
void ScalarColumns(const PackedGptqView& w, const float* x, int64_t n_tokens, int64_t col_begin, int64_t col_end,
                   float* y) {
  const int64_t out = w.out_features, in = w.in_features;
  uint32_t codes[32];
  for (int64_t o = col_begin; o < col_end; ++o)
    for (int64_t run = 0; run < in / 32; ++run) {
      unpack_run(w.qweight + run * w.bits * out + o, out, w.bits, codes);
      for (int k = 0; k < 32; ++k) {
        const int64_t i = run * 32 + k, g = w.g_idx[i];
        const float weight = w.scale[g * out + o] * (static_cast<float>(codes[k]) - w.zero[g * out + o]);
        for (int64_t t = 0; t < n_tokens; ++t) y[t * out + o] += weight * x[t * in + i];
      }
    }
}

#if !HWY_HAVE_SCALABLE
// Where code k of a 32-input run sits in its word: word index, bit shift, and the power of two
// the masked code keeps (CodeInPlace). A code that fills its word's top bits, or straddles two
// words (3 bits: k = 10, 21), is shifted down instead (exponent 0).
struct CodeSlot {
  int word, shift, exponent;
};
template <int kBits>
constexpr CodeSlot code_slot(int k) {
  const int bit = k * kBits, shift = bit & 31;
  return {bit >> 5, shift, shift + kBits < 32 ? shift : 0};
}

// code · 2^exponent of input K for the Lanes(DF) columns whose run word j is at words[j · out],
// as fp32, exactly (at most 8 significant bits): masked in place and converted — two
// instructions, no shift — or shifted down (top code) or joined (straddling code). K is a
// template argument so that masks and shifts are immediates in the unrolled run.
template <int kBits, int K>
HWY_INLINE VF CodeInPlace(const int32_t* words, int64_t out) {
  const DF df;
  const DI di;
  const DU du;
  constexpr uint32_t mask = (1u << kBits) - 1;
  constexpr CodeSlot slot = code_slot<kBits>(K);
  const auto word = hn::BitCast(du, hn::LoadU(di, words + slot.word * out));
  if constexpr (slot.shift + kBits < 32) {
    return hn::ConvertTo(df, hn::BitCast(di, hn::And(word, hn::Set(du, mask << slot.shift))));
  } else if constexpr (slot.shift + kBits == 32) {
    return hn::ConvertTo(df, hn::BitCast(di, hn::ShiftRight<slot.shift>(word)));
  } else {
    const auto next = hn::BitCast(du, hn::LoadU(di, words + (slot.word + 1) * out));
    const auto joined = hn::Or(hn::ShiftRight<slot.shift>(word), hn::ShiftLeft<32 - slot.shift>(next));
    return hn::ConvertTo(df, hn::BitCast(di, hn::And(joined, hn::Set(du, mask))));
  }
}

// f(std::integral_constant<int, K>) for K = 0 .. 31 in order, unrolled.
template <class F, int... K>
HWY_INLINE void ForEachRunInput(const F& f, std::integer_sequence<int, K...>) {
  (f(std::integral_constant<int, K>{}), ...);
}

// The inputs as the scaled runs read them: x'[t, i] = x[t, i] · 2^−exponent(i mod 32), so that
// code · 2^exponent · x' = code · x (exact: a power of two), and each run's Σ x in fp32.
template <int kBits>
void PrescaleInputs(const float* x, int64_t n_tokens, int64_t in, std::vector<float>& prescaled,
                    std::vector<float>& run_sum) {
  prescaled.resize(static_cast<size_t>(n_tokens * in));
  run_sum.resize(static_cast<size_t>(n_tokens * (in / 32)));
  float factor[32];
  for (int k = 0; k < 32; ++k) factor[k] = std::ldexp(1.0f, -code_slot<kBits>(k).exponent);
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t run = 0; run < in / 32; ++run) {
      const float* xr = x + t * in + run * 32;
      float sum = 0.0f;
      for (int k = 0; k < 32; ++k) {
        prescaled[static_cast<size_t>(t * in + run * 32 + k)] = xr[k] * factor[k];
        sum += xr[k];
      }
      run_sum[static_cast<size_t>(t * (in / 32) + run)] = sum;
    }
}

// One run of a single group (scale s, zero z per column) for T tokens and C column vectors:
// y += s · (Σ_k code_k · x_k − z · Σ_k x_k), the GPTQ formula with the scale and zero applied
// once per run instead of once per weight. The inner loop is a mask, a conversion and an FMA per
// vector of weights (five instructions with the per-weight formula); the price is the error
// bound: γ · |s| · Σ (code + |z|) · |x| instead of γ · Σ |s · (code − z) · x| (docs/engine.md).
template <int kBits, int T, int C>
HWY_INLINE void ScaledRun(const PackedGptqView& w, int64_t run, int64_t group, const float* prescaled,
                          const float* run_sum, int64_t o, float* y) {
  const DF df;
  const int64_t in = w.in_features, out = w.out_features, n = static_cast<int64_t>(hn::Lanes(df));
  const int32_t* words = w.qweight + run * kBits * out + o;
  VF acc[T][C];
  for (int t = 0; t < T; ++t)
    for (int c = 0; c < C; ++c) acc[t][c] = hn::Zero(df);
  const float* xr = prescaled + run * 32;
  ForEachRunInput(
      [&](auto k) {
        VF code[C];
        for (int c = 0; c < C; ++c) code[c] = CodeInPlace<kBits, k.value>(words + c * n, out);
        for (int t = 0; t < T; ++t) {
          const VF xt = hn::Set(df, xr[t * in + k.value]);
          for (int c = 0; c < C; ++c) acc[t][c] = hn::MulAdd(code[c], xt, acc[t][c]);
        }
      },
      std::make_integer_sequence<int, 32>{});
  for (int c = 0; c < C; ++c) {
    const VF scale = hn::LoadU(df, w.scale + group * out + o + c * n);
    const VF zero = hn::LoadU(df, w.zero + group * out + o + c * n);
    for (int t = 0; t < T; ++t) {
      float* yt = y + t * out + o + c * n;
      const VF sum = hn::Set(df, run_sum[t * (in / 32) + run]);
      hn::StoreU(hn::MulAdd(scale, hn::NegMulAdd(zero, sum, acc[t][c]), hn::LoadU(df, yt)), df, yt);
    }
  }
}

// T ≤ 8 tokens over columns [col_begin, col_end) (whole tiles of C vectors), run by run: each
// tile's C column vectors feed T FMA chains per run, a single-group run as ScaledRun, a run with
// several groups (act-order) dequantized per weight. The packed words are thus read along their
// rows (the output dimension, contiguous), one stream per word row, instead of down a 16-column
// strip of the whole matrix — which the hardware prefetchers followed badly: a step of the
// Qwen3-0.6B-shape model read its 229 MB of packed weights at a third of the bandwidth.
template <int kBits, int T, int C>
void FusedRuns(const PackedGptqView& w, const int32_t* run_group, const float* x, const float* prescaled,
               const float* run_sum, int64_t col_begin, int64_t col_end, float* y) {
  const DF df;
  const int64_t in = w.in_features, out = w.out_features, n = static_cast<int64_t>(hn::Lanes(df));
  for (int64_t run = 0; run < in / 32; ++run)
    for (int64_t o = col_begin; o < col_end; o += C * n) {
      if (run_group[run] >= 0) {
        ScaledRun<kBits, T, C>(w, run, run_group[run], prescaled, run_sum, o, y);
        continue;
      }
      VF acc[T][C];
      for (int t = 0; t < T; ++t)
        for (int c = 0; c < C; ++c) acc[t][c] = hn::LoadU(df, y + t * out + o + c * n);
      RunInputs<kBits, C>(w, run_group, run, o, [&](int64_t i, const VF* weight) {
        for (int t = 0; t < T; ++t) {
          const VF xt = hn::Set(df, x[t * in + i]);
          for (int c = 0; c < C; ++c) acc[t][c] = hn::MulAdd(weight[c], xt, acc[t][c]);
        }
      });
      for (int t = 0; t < T; ++t)
        for (int c = 0; c < C; ++c) hn::StoreU(acc[t][c], df, y + t * out + o + c * n);
    }
}

// The fused tiles for 1–8 tokens: C = 4 column vectors at 1–2 tokens (4 or 8 accumulators), 2 at
// 3–4 (6 or 8), 1 at 5–8, so the accumulators stay in AVX2's 16 registers too; C = 1 also takes
// the columns past the last wider tile at any token count.
template <int kBits, int C>
void FusedTiles(const PackedGptqView& w, const int32_t* run_group, const float* x, const float* prescaled,
                const float* run_sum, int64_t n_tokens, int64_t col_begin, int64_t col_end, float* y) {
  const auto fused = [&](auto tokens) {
    FusedRuns<kBits, tokens.value, C>(w, run_group, x, prescaled, run_sum, col_begin, col_end, y);
  };
  if constexpr (C == 4) {
    n_tokens == 1 ? fused(std::integral_constant<int, 1>{}) : fused(std::integral_constant<int, 2>{});
  } else if constexpr (C == 2) {
    n_tokens == 3 ? fused(std::integral_constant<int, 3>{}) : fused(std::integral_constant<int, 4>{});
  } else {
    switch (n_tokens) {
      case 1: fused(std::integral_constant<int, 1>{}); break;
      case 2: fused(std::integral_constant<int, 2>{}); break;
      case 3: fused(std::integral_constant<int, 3>{}); break;
      case 4: fused(std::integral_constant<int, 4>{}); break;
      case 5: fused(std::integral_constant<int, 5>{}); break;
      case 6: fused(std::integral_constant<int, 6>{}); break;
      case 7: fused(std::integral_constant<int, 7>{}); break;
      default: fused(std::integral_constant<int, 8>{}); break;
    }
  }
}

// More tokens: the column strip W[o .. o + N, :]ᵀ is dequantized once into `strip` (in · N
// floats, L2-resident), then streamed once per 8 tokens; with 9–32 tokens the arithmetic hides
// the strip order's slower reads, and y's tile is loaded once, not once per run.
template <int T>
void ColumnStripTokens(const float* strip, int64_t in, int64_t out, const float* x, int64_t o, float* y) {
  const DF df;
  const int64_t n = static_cast<int64_t>(hn::Lanes(df));
  VF acc[T];
  for (int t = 0; t < T; ++t) acc[t] = hn::Zero(df);
  for (int64_t i = 0; i < in; ++i) {
    const VF weight = hn::LoadU(df, strip + i * n);
    for (int t = 0; t < T; ++t) acc[t] = hn::MulAdd(weight, hn::Set(df, x[t * in + i]), acc[t]);
  }
  for (int t = 0; t < T; ++t) hn::StoreU(hn::Add(hn::LoadU(df, y + t * out + o), acc[t]), df, y + t * out + o);
}

template <int kBits>
void VectorColumns(const PackedGptqView& w, const int32_t* run_group, const float* x, int64_t n_tokens, int64_t col_begin,
                   int64_t col_end, float* y) {
  const DF df;
  const int64_t n = static_cast<int64_t>(hn::Lanes(df)), in = w.in_features, out = w.out_features;
  if (n_tokens <= 8) {
    thread_local std::vector<float> prescaled, run_sum;
    PrescaleInputs<kBits>(x, n_tokens, in, prescaled, run_sum);
    const float* xs = prescaled.data();
    const float* sums = run_sum.data();
    const int64_t wide = n_tokens <= 2 ? 4 : n_tokens <= 4 ? 2 : 1;  // column vectors per tile
    const int64_t tiled_end = col_begin + (col_end - col_begin) / (wide * n) * (wide * n);
    if (wide == 4) FusedTiles<kBits, 4>(w, run_group, x, xs, sums, n_tokens, col_begin, tiled_end, y);
    if (wide == 2) FusedTiles<kBits, 2>(w, run_group, x, xs, sums, n_tokens, col_begin, tiled_end, y);
    FusedTiles<kBits, 1>(w, run_group, x, xs, sums, n_tokens, wide == 1 ? col_begin : tiled_end, col_end, y);
    return;
  }
  thread_local std::vector<float> strip;
  strip.resize(static_cast<size_t>(in * n));
  for (int64_t o = col_begin; o < col_end; o += n) {
    float* s = strip.data();
    ForEachInput<kBits, 1>(w, run_group, o, [&](int64_t i, const VF* weight) { hn::StoreU(weight[0], df, s + i * n); });
    int64_t t = 0;
    for (; t + 8 <= n_tokens; t += 8) ColumnStripTokens<8>(s, in, out, x + t * in, o, y + t * out);
    for (; t < n_tokens; ++t) ColumnStripTokens<1>(s, in, out, x + t * in, o, y + t * out);
  }
}
#endif
}  // namespace

void GptqProduct(const PackedGptqView& w, const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                 float* y) {
#if HWY_HAVE_SCALABLE
  ScalarColumns(w, x, n_tokens, row_begin, row_end, y);
#else
  const int64_t n = static_cast<int64_t>(hn::Lanes(DF()));
  const int64_t vector_end = row_begin + (row_end - row_begin) / n * n;
  thread_local std::vector<int32_t> run_group;
  RunGroups(w, run_group);
  switch (w.bits) {
    case 2: VectorColumns<2>(w, run_group.data(), x, n_tokens, row_begin, vector_end, y); break;
    case 3: VectorColumns<3>(w, run_group.data(), x, n_tokens, row_begin, vector_end, y); break;
    case 4: VectorColumns<4>(w, run_group.data(), x, n_tokens, row_begin, vector_end, y); break;
    default: VectorColumns<8>(w, run_group.data(), x, n_tokens, row_begin, vector_end, y); break;
  }
  ScalarColumns(w, x, n_tokens, vector_end, row_end, y);
#endif
}

// Wᵀ[:, row_begin .. row_end) into dst (row stride ld): vectors along the stored layout's
// contiguous output dimension, no transpose.
void DequantizeGptqColumns(const PackedGptqView& w, int64_t row_begin, int64_t row_end, float* dst, int64_t ld) {
  const int64_t cols = row_end - row_begin, out = w.out_features;
  int64_t vector_end = row_begin;
#if !HWY_HAVE_SCALABLE
  const DF df;
  const int64_t n = static_cast<int64_t>(hn::Lanes(df));
  vector_end = row_begin + cols / n * n;
  thread_local std::vector<int32_t> run_group;
  RunGroups(w, run_group);
  for (int64_t o = row_begin; o < vector_end; o += n) {
    float* column = dst + (o - row_begin);
    const auto store = [&](int64_t i, const VF* weight) { hn::StoreU(weight[0], df, column + i * ld); };
    switch (w.bits) {
      case 2: ForEachInput<2, 1>(w, run_group.data(), o, store); break;
      case 3: ForEachInput<3, 1>(w, run_group.data(), o, store); break;
      case 4: ForEachInput<4, 1>(w, run_group.data(), o, store); break;
      default: ForEachInput<8, 1>(w, run_group.data(), o, store); break;
    }
  }
#endif
  uint32_t codes[32];
  for (int64_t o = vector_end; o < row_end; ++o)
    for (int64_t run = 0; run < w.in_features / 32; ++run) {
      unpack_run(w.qweight + run * w.bits * out + o, out, w.bits, codes);
      for (int k = 0; k < 32; ++k) {
        const int64_t i = run * 32 + k, g = w.g_idx[i];
        dst[i * ld + (o - row_begin)] = w.scale[g * out + o] * (static_cast<float>(codes[k]) - w.zero[g * out + o]);
      }
    }
}

}  // namespace HWY_NAMESPACE
}  // namespace qs
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qs {

HWY_EXPORT(DequantizeGptqRows);
HWY_EXPORT(DequantizeGptqColumns);
HWY_EXPORT(GptqProduct);

void dequantize_gptq_rows(const PackedGptqView& weight, int64_t row_begin, int64_t row_end, float* dst) {
  QS_DISPATCH(DequantizeGptqRows)(weight, row_begin, row_end, dst);
}

void dequantize_gptq_columns(const PackedGptqView& weight, int64_t row_begin, int64_t row_end, float* dst,
                             int64_t ld) {
  QS_DISPATCH(DequantizeGptqColumns)(weight, row_begin, row_end, dst, ld);
}

void gptq_product(const PackedGptqView& weight, const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                  float* y) {
  QS_DISPATCH(GptqProduct)(weight, x, n_tokens, row_begin, row_end, y);
}

}  // namespace qs
#endif  // HWY_ONCE
