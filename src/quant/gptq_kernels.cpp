// Per-target file (core/cpu_dispatch.h): Highway compiles these loops once per instruction set.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/gptq_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "core/cpu_dispatch.h"
#include "hwy/highway.h"
#include "quant/gptq_kernels.h"
#include "quant/quant_grid.h"

HWY_BEFORE_NAMESPACE();
namespace qs {
namespace HWY_NAMESPACE {

double QuantizeColumn(const double* w, const double* scale, const double* zero, int maxq, double d, int64_t o_begin,
                      int64_t o_end, uint8_t* codes, int64_t code_stride, double* err) {
  double loss = 0;
  for (int64_t o = o_begin; o < o_end; ++o) {
    const int q = quantize_code(w[o], scale[o], zero[o], maxq);
    const double residual = w[o] - scale[o] * (q - zero[o]);
    codes[o * code_stride] = static_cast<uint8_t>(q);
    err[o] = residual / d;
    loss += residual * residual / (2 * d * d);
  }
  return loss;
}

void SubtractScaled(double* target, const double* err, double factor, int64_t o_begin, int64_t o_end) {
  for (int64_t o = o_begin; o < o_end; ++o) target[o] -= err[o] * factor;
}

}  // namespace HWY_NAMESPACE
}  // namespace qs
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qs {

HWY_EXPORT(QuantizeColumn);
HWY_EXPORT(SubtractScaled);

double quantize_column(const double* w, const double* scale, const double* zero, int maxq, double d, int64_t o_begin,
                       int64_t o_end, uint8_t* codes, int64_t code_stride, double* err) {
  return QS_DISPATCH(QuantizeColumn)(w, scale, zero, maxq, d, o_begin, o_end, codes, code_stride, err);
}

void subtract_scaled(double* target, const double* err, double factor, int64_t o_begin, int64_t o_end) {
  QS_DISPATCH(SubtractScaled)(target, err, factor, o_begin, o_end);
}

}  // namespace qs
#endif  // HWY_ONCE
