#include "quant/quant_grid.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace qs {

void validate(const QuantGrid& grid, const std::string& where) {
  require(grid.bits == 2 || grid.bits == 3 || grid.bits == 4 || grid.bits == 8, where,
          "unsupported bits " + std::to_string(grid.bits) + " (the GPTQ format stores 2, 3, 4 or 8)");
  require(grid.mse_grid > 0 && grid.mse_maxshrink > 0 && grid.mse_maxshrink <= 1 && grid.mse_norm > 0, where,
          "MSE clipping search needs grid > 0, 0 < maxshrink <= 1, norm > 0");
  require(grid.min_zero >= 0 && grid.min_zero <= grid.maxq(), where, "min_zero outside [0, maxq]");
}

namespace {

// sum_j |scale * (q_j - zero) - x_j|^norm: the clipping search's objective for one row.
double clipping_error(const double* x, int64_t cols, double scale, double zero, const QuantGrid& grid) {
  double error = 0;
  for (int64_t j = 0; j < cols; ++j) {
    double dequantized = scale * (quantize_code(x[j], scale, zero, grid.maxq()) - zero);
    error += std::pow(std::fabs(dequantized - x[j]), grid.mse_norm);
  }
  return error;
}

double zero_point(double xmin, double scale, const QuantGrid& grid) {
  if (grid.sym) return (grid.maxq() + 1) / 2;
  return std::max(std::nearbyint(-xmin / scale), static_cast<double>(grid.min_zero));
}

}  // namespace

void find_grid_params(const double* x, int64_t rows, int64_t cols, int64_t ld, const QuantGrid& grid,
                      double* scale, double* zero) {
  const int maxq = grid.maxq();
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = x + r * ld;
    double xmin = 0, xmax = 0;
    for (int64_t j = 0; j < cols; ++j) {
      xmin = std::min(xmin, row[j]);
      xmax = std::max(xmax, row[j]);
    }
    if (grid.sym) {
      xmax = std::max(-xmin, xmax);
      if (xmin < 0) xmin = -xmax;
    }
    if (xmin == 0 && xmax == 0) {
      xmin = -1;
      xmax = 1;
    }
    scale[r] = (xmax - xmin) / maxq;
    zero[r] = zero_point(xmin, scale[r], grid);
    if (!grid.mse) continue;
    double best = std::numeric_limits<double>::infinity();
    const int steps = static_cast<int>(grid.mse_maxshrink * grid.mse_grid);
    for (int i = 0; i < steps; ++i) {
      double shrink = 1 - static_cast<double>(i) / grid.mse_grid;
      double xmin1 = shrink * xmin, xmax1 = shrink * xmax;
      double scale1 = (xmax1 - xmin1) / maxq;
      double zero1 = zero_point(xmin1, scale1, grid);
      double error = clipping_error(row, cols, scale1, zero1, grid);
      if (error < best) {
        best = error;
        scale[r] = scale1;
        zero[r] = zero1;
      }
    }
  }
}

}  // namespace qs
