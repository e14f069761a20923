#pragma once
// Elementwise math over float arrays through glibc's vector math library (libmvec: the SIMD
// variants GCC itself calls under -ffast-math), so hot loops such as the attention softmax and
// the MLP activations do not pay one scalar libm call per element. Without AVX2 (or off x86-64)
// these are the scalar std:: functions. libmvec's float functions are within 4 ulp (glibc's
// documented bound; about 1 ulp measured), the scalar ones within 1 ulp.
#include <cstdint>

namespace qs {

void exp_in_place(float* x, int64_t n);   // x[i] = exp(x[i])
void erf_in_place(float* x, int64_t n);   // x[i] = erf(x[i])
void tanh_in_place(float* x, int64_t n);  // x[i] = tanh(x[i])

}  // namespace qs
