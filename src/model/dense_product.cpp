// Per-target file (core/cpu_dispatch.h): Highway compiles the small-batch product once per
// instruction set; the dispatcher picks one at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "model/dense_product.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cstring>

#include "core/cpu_dispatch.h"
#include "core/half.h"
#include "hwy/highway.h"
#include "model/dense_product.h"

HWY_BEFORE_NAMESPACE();
namespace qs {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace {
using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// N weights W[row, i..i+N) as fp32. BF16: the upper half of an fp32 word. F16 (finite, as
// DenseWeight checks): magnitude bits shifted into fp32 position and scaled by 2^112 (the
// exponent-bias difference 127 − 15) — exact for normals and subnormals alike — then the sign.
template <DType kType>
HWY_INLINE VF LoadWeights(DF df, const void* data, int64_t at) {
  if constexpr (kType == DType::F32) {
    return hn::LoadU(df, static_cast<const float*>(data) + at);
  } else {
    const hn::RebindToUnsigned<DF> du;
    const hn::Rebind<uint16_t, DF> dh;
    const auto half = hn::PromoteTo(du, hn::LoadU(dh, static_cast<const uint16_t*>(data) + at));
    if constexpr (kType == DType::BF16) {
      return hn::BitCast(df, hn::ShiftLeft<16>(half));
    } else {
      const auto magnitude = hn::BitCast(df, hn::ShiftLeft<13>(hn::And(half, hn::Set(du, 0x7fffu))));
      const auto sign = hn::BitCast(df, hn::ShiftLeft<16>(hn::And(half, hn::Set(du, 0x8000u))));
      return hn::Or(hn::Mul(magnitude, hn::Set(df, 0x1p112f)), sign);
    }
  }
}

template <DType kType>
float WeightAt(const void* data, int64_t at) {
  if constexpr (kType == DType::F32) return static_cast<const float*>(data)[at];
  uint16_t bits;
  std::memcpy(&bits, static_cast<const uint8_t*>(data) + 2 * at, sizeof bits);
  return kType == DType::BF16 ? bf16_to_f32(bits) : fp16_to_f32(bits);
}

#if HWY_HAVE_SCALABLE
// Scalable vectors (SVE, RVV) cannot be array elements: one row, one token at a time.
template <DType kType, int R, int T>
void Block(const DenseRowsView& w, const float* x, int64_t row0, int64_t t0, float* y) {
  const DF df;
  const int64_t in = w.in_features, n = static_cast<int64_t>(hn::Lanes(df));
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) {
      const float* xt = x + (t0 + t) * in;
      VF acc = hn::Zero(df);
      int64_t i = 0;
      for (; i + n <= in; i += n) acc = hn::MulAdd(LoadWeights<kType>(df, w.data, (row0 + r) * in + i), hn::LoadU(df, xt + i), acc);
      float sum = hn::GetLane(hn::SumOfLanes(df, acc));
      for (; i < in; ++i) sum += WeightAt<kType>(w.data, (row0 + r) * in + i) * xt[i];
      y[(t0 + t) * w.out_features + row0 + r] += sum;
    }
}
#else
// R rows × T tokens in R·T vector accumulators: each weight vector loaded once feeds T FMAs,
// each activation vector R (4 × 4 = 16 accumulators + 8 operands fit AVX-512's and AVX2's
// register files without spilling the accumulators).
template <DType kType, int R, int T>
void Block(const DenseRowsView& w, const float* x, int64_t row0, int64_t t0, float* y) {
  const DF df;
  const int64_t in = w.in_features, n = static_cast<int64_t>(hn::Lanes(df));
  VF acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = hn::Zero(df);
  int64_t i = 0;
  for (; i + n <= in; i += n) {
    VF xv[T];
    for (int t = 0; t < T; ++t) xv[t] = hn::LoadU(df, x + (t0 + t) * in + i);
    for (int r = 0; r < R; ++r) {
      const VF wv = LoadWeights<kType>(df, w.data, (row0 + r) * in + i);
      for (int t = 0; t < T; ++t) acc[r][t] = hn::MulAdd(wv, xv[t], acc[r][t]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) {
      float sum = hn::GetLane(hn::SumOfLanes(df, acc[r][t]));
      for (int64_t j = i; j < in; ++j) sum += WeightAt<kType>(w.data, (row0 + r) * in + j) * x[(t0 + t) * in + j];
      y[(t0 + t) * w.out_features + row0 + r] += sum;
    }
}
#endif

// All tokens against R rows starting at row0, 4 tokens at a time while the rows stay in cache.
template <DType kType, int R>
void RowsAllTokens(const DenseRowsView& w, const float* x, int64_t n_tokens, int64_t row0, float* y) {
  int64_t t0 = 0;
  for (; t0 + 4 <= n_tokens; t0 += 4) Block<kType, R, 4>(w, x, row0, t0, y);
  switch (n_tokens - t0) {
    case 3: Block<kType, R, 3>(w, x, row0, t0, y); break;
    case 2: Block<kType, R, 2>(w, x, row0, t0, y); break;
    case 1: Block<kType, R, 1>(w, x, row0, t0, y); break;
    default: break;
  }
}

template <DType kType>
void Product(const DenseRowsView& w, const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end, float* y) {
  int64_t row = row_begin;
  for (; row + 4 <= row_end; row += 4) RowsAllTokens<kType, 4>(w, x, n_tokens, row, y);
  for (; row < row_end; ++row) RowsAllTokens<kType, 1>(w, x, n_tokens, row, y);
}
}  // namespace

void DenseRowsProduct(const DenseRowsView& w, const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                      float* y) {
  switch (w.dtype) {
    case DType::F32: Product<DType::F32>(w, x, n_tokens, row_begin, row_end, y); break;
    case DType::BF16: Product<DType::BF16>(w, x, n_tokens, row_begin, row_end, y); break;
    case DType::F16: Product<DType::F16>(w, x, n_tokens, row_begin, row_end, y); break;
    default: break;  // DenseWeight admits no other dtype
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace qs
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qs {

HWY_EXPORT(DenseRowsProduct);

void dense_rows_product(const DenseRowsView& w, const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                        float* y) {
  QS_DISPATCH(DenseRowsProduct)(w, x, n_tokens, row_begin, row_end, y);
}

}  // namespace qs
#endif  // HWY_ONCE
