#pragma once
// The uniform integer grid every GPTQ-format weight uses: value = scale * (q - zero) with integer
// codes q in [0, 2^bits - 1]. Parameters follow the GPTQ reference quantizer (IST-DASLab gptq
// quant.py, AutoGPTQ quantizer.py) exactly, so codes agree with what practitioners produce:
//   xmin = min(0, min x), xmax = max(0, max x)       (the range always contains 0)
//   sym:  xmax = max(|xmin|, xmax); xmin = -xmax if xmin < 0
//   xmin = -1, xmax = +1 when both are 0              (all-zero rows)
//   scale = (xmax - xmin) / maxq
//   zero  = round(-xmin / scale)  (asym)  |  (maxq + 1) / 2  (sym)
//   mse:  shrink the range by p = 1 - i/grid (i < maxshrink*grid) and keep the p with the least
//         sum |Q(x) - x|^norm per row (norm 2.4, grid 100, maxshrink 0.8 as in the reference).
// round() is round-half-to-even, as torch.round.
#include <cmath>
#include <cstdint>
#include <string>

namespace qs {

struct QuantGrid {
  int bits = 4;             // 2, 3, 4 or 8
  bool sym = false;
  bool mse = false;
  // The v1 GPTQ checkpoint stores zero - 1 in `bits` bits, so zero = 0 cannot be stored. The
  // exporting driver sets this to 1 (zero = max(zero, 1)); the layer-level reference tests keep 0.
  int min_zero = 0;
  double mse_norm = 2.4;
  int mse_grid = 100;
  double mse_maxshrink = 0.8;

  int maxq() const { return (1 << bits) - 1; }
};

// Throws qs::Error unless bits is 2, 3, 4 or 8 and the MSE settings are sane.
void validate(const QuantGrid& grid, const std::string& where);

// Code of one value: clamp(round(x / scale) + zero, 0, maxq).
inline int quantize_code(double x, double scale, double zero, int maxq) {
  double q = std::nearbyint(x / scale) + zero;
  q = q < 0 ? 0 : (q > maxq ? maxq : q);
  return static_cast<int>(q);
}

// Grid parameters of each row of x[rows, cols] (row-major, leading dimension ld): one scale and
// one zero per row (the rows are output channels, the columns one group of input features).
void find_grid_params(const double* x, int64_t rows, int64_t cols, int64_t ld, const QuantGrid& grid,
                      double* scale, double* zero);

}  // namespace qs
