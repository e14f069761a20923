#pragma once
// Elementwise math over float arrays through glibc's vector math library (libmvec: the SIMD
// variants GCC itself calls under -ffast-math), so hot loops such as the attention softmax and
// the MLP activations do not pay one scalar libm call per element. The variant follows the
// dispatched target (core/cpu_dispatch.h): 16 lanes on AVX-512, 8 on AVX2, 4 on the portable
// SSE baseline; off x86-64 glibc these are the scalar std:: functions. libmvec's float functions are within 4 ulp (glibc's
// documented bound; about 1 ulp measured), the scalar ones within 1 ulp.
#include <cstdint>

namespace qs {

void exp_in_place(float* x, int64_t n);   // x[i] = exp(x[i])
// x[i] = exp(max(x[i], kExpFloor)) for x[i] <= 0: the softmax case. libmvec hands lanes that
// would underflow to a scalar slow path (measured: lm_head scoring 4x slower on logits spread
// over more than 87); exp(-80) = 1.8e-35 is zero to any softmax sum it joins.
constexpr float kExpFloor = -80.0f;
void exp_nonpositive_in_place(float* x, int64_t n);
void erf_in_place(float* x, int64_t n);   // x[i] = erf(x[i])
void tanh_in_place(float* x, int64_t n);  // x[i] = tanh(x[i])

}  // namespace qs
