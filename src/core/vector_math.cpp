// Per-target file: Highway compiles the kernels below once per instruction set
// (hwy/foreach_target.h re-includes this file), core/cpu_dispatch.h picks one at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/vector_math.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cmath>
#include <cstdint>

#include "core/cpu_dispatch.h"
#include "core/vector_math.h"
#include "hwy/highway.h"

#if HWY_ARCH_X86 && defined(__GLIBC__)
#include <immintrin.h>
#define QS_HAVE_LIBMVEC 1
#endif

HWY_BEFORE_NAMESPACE();
namespace qs {
namespace HWY_NAMESPACE {

// glibc's libmvec under the x86-64 vector function ABI names: 'e' = AVX-512 with 16 lanes,
// 'd' = AVX2 with 8, 'b' = SSE with 4 (expf since glibc 2.22, erff and tanhf since 2.35). Each
// is declared inside the target region whose instruction set passes its vector type.
#if defined(QS_HAVE_LIBMVEC) && (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)
using Vec = __m512;
constexpr int64_t kLanes = 16;
extern "C" __m512 _ZGVeN16v_expf(__m512);
extern "C" __m512 _ZGVeN16v_erff(__m512);
extern "C" __m512 _ZGVeN16v_tanhf(__m512);
inline Vec load(const float* p) { return _mm512_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
#define QS_MVEC(name) _ZGVeN16v_##name
#elif defined(QS_HAVE_LIBMVEC) && HWY_TARGET == HWY_AVX2
using Vec = __m256;
constexpr int64_t kLanes = 8;
extern "C" __m256 _ZGVdN8v_expf(__m256);
extern "C" __m256 _ZGVdN8v_erff(__m256);
extern "C" __m256 _ZGVdN8v_tanhf(__m256);
inline Vec load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
#define QS_MVEC(name) _ZGVdN8v_##name
#elif defined(QS_HAVE_LIBMVEC) && (HWY_TARGET == HWY_SSSE3 || HWY_TARGET == HWY_SSE4)
using Vec = __m128;
constexpr int64_t kLanes = 4;
extern "C" __m128 _ZGVbN4v_expf(__m128);
extern "C" __m128 _ZGVbN4v_erff(__m128);
extern "C" __m128 _ZGVbN4v_tanhf(__m128);
inline Vec load(const float* p) { return _mm_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm_storeu_ps(p, v); }
#define QS_MVEC(name) _ZGVbN4v_##name
#endif

// The target's libmvec variant over full vectors, the scalar function for the tail (and for
// everything off x86-64 glibc). libmvec's float functions are within 4 ulp (glibc's bound).
#ifdef QS_MVEC
#define QS_APPLY(vector_name, scalar, x, n)                                                      \
  do {                                                                                          \
    int64_t i = 0;                                                                              \
    for (; i + kLanes <= (n); i += kLanes) store((x) + i, QS_MVEC(vector_name)(load((x) + i))); \
    for (; i < (n); ++i) (x)[i] = scalar((x)[i]);                                               \
  } while (0)
#else
#define QS_APPLY(vector_name, scalar, x, n) \
  for (int64_t i = 0; i < (n); ++i) (x)[i] = scalar((x)[i])
#endif

void ExpInPlace(float* x, int64_t n) { QS_APPLY(expf, std::exp, x, n); }
void ErfInPlace(float* x, int64_t n) { QS_APPLY(erff, std::erf, x, n); }
void TanhInPlace(float* x, int64_t n) { QS_APPLY(tanhf, std::tanh, x, n); }

void ExpNonpositiveInPlace(float* x, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] < kExpFloor ? kExpFloor : x[i];
  ExpInPlace(x, n);
}

#undef QS_APPLY
#undef QS_MVEC

}  // namespace HWY_NAMESPACE
}  // namespace qs
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qs {

HWY_EXPORT(ExpInPlace);
HWY_EXPORT(ErfInPlace);
HWY_EXPORT(TanhInPlace);
HWY_EXPORT(ExpNonpositiveInPlace);

void exp_in_place(float* x, int64_t n) { QS_DISPATCH(ExpInPlace)(x, n); }
void exp_nonpositive_in_place(float* x, int64_t n) { QS_DISPATCH(ExpNonpositiveInPlace)(x, n); }
void erf_in_place(float* x, int64_t n) { QS_DISPATCH(ErfInPlace)(x, n); }
void tanh_in_place(float* x, int64_t n) { QS_DISPATCH(TanhInPlace)(x, n); }

}  // namespace qs
#endif  // HWY_ONCE
