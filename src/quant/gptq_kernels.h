#pragma once
// The two loops of GPTQ's column sweep (Algorithm 1 of Frantar et al. 2023, lines 8-10) over
// one band of output rows [o_begin, o_end), compiled per instruction set (core/cpu_dispatch.h).
// Neither reduces across rows, and the build does not contract a*b+c into FMA (ISO C++ mode),
// so every target gives the same bits.
#include <cstdint>

namespace qs {

// Column c of W (w[o] for output row o): q = quant(w, scale, zero) into codes[o * code_stride],
// err[o] = (w - dequant(q)) / d with d = [H^-1]_cc; returns Σ (w - dequant(q))² / (2 d²).
double quantize_column(const double* w, const double* scale, const double* zero, int maxq, double d, int64_t o_begin,
                       int64_t o_end, uint8_t* codes, int64_t code_stride, double* err);

// target[o] -= err[o] · factor: one rank-1 update of a later column.
void subtract_scaled(double* target, const double* err, double factor, int64_t o_begin, int64_t o_end);

}  // namespace qs
