#include "core/vector_math.h"

#include <cmath>

#if defined(__x86_64__) && defined(__AVX2__) && defined(__GLIBC__)
#include <immintrin.h>
#define QS_HAVE_LIBMVEC 1
// The x86-64 vector function ABI names in libmvec: 'd' = AVX2 with 8 lanes, 'e' = AVX-512 with
// 16 (expf since glibc 2.22, erff and tanhf since 2.35).
extern "C" {
__m256 _ZGVdN8v_expf(__m256 x);
__m256 _ZGVdN8v_erff(__m256 x);
__m256 _ZGVdN8v_tanhf(__m256 x);
#if defined(__AVX512F__)
__m512 _ZGVeN16v_expf(__m512 x);
__m512 _ZGVeN16v_erff(__m512 x);
__m512 _ZGVeN16v_tanhf(__m512 x);
#endif
}
#endif

namespace qs {
namespace {

#if defined(QS_HAVE_LIBMVEC) && defined(__AVX512F__)
using Wide = __m512 (*)(__m512);
#else
using Wide = void*;
#endif
#if defined(QS_HAVE_LIBMVEC)
using Narrow = __m256 (*)(__m256);
#else
using Narrow = void*;
#endif

// The widest libmvec variant over full vectors, then the scalar function for the tail.
template <typename Scalar>
void apply_in_place(float* x, int64_t n, [[maybe_unused]] Wide wide, [[maybe_unused]] Narrow narrow, Scalar scalar) {
  int64_t i = 0;
#if defined(QS_HAVE_LIBMVEC)
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, wide(_mm512_loadu_ps(x + i)));
#endif
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, narrow(_mm256_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) x[i] = scalar(x[i]);
}

#if defined(QS_HAVE_LIBMVEC) && defined(__AVX512F__)
#define QS_WIDE(name) _ZGVeN16v_##name
#else
#define QS_WIDE(name) nullptr
#endif
#if defined(QS_HAVE_LIBMVEC)
#define QS_NARROW(name) _ZGVdN8v_##name
#else
#define QS_NARROW(name) nullptr
#endif

}  // namespace

void exp_in_place(float* x, int64_t n) {
  apply_in_place(x, n, QS_WIDE(expf), QS_NARROW(expf), [](float v) { return std::exp(v); });
}

void exp_nonpositive_in_place(float* x, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] < kExpFloor ? kExpFloor : x[i];
  exp_in_place(x, n);
}

void erf_in_place(float* x, int64_t n) {
  apply_in_place(x, n, QS_WIDE(erff), QS_NARROW(erff), [](float v) { return std::erf(v); });
}

void tanh_in_place(float* x, int64_t n) {
  apply_in_place(x, n, QS_WIDE(tanhf), QS_NARROW(tanhf), [](float v) { return std::tanh(v); });
}

}  // namespace qs
