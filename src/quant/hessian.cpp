#include "quant/hessian.h"

#include <algorithm>
#include <cmath>

#include "core/blas.h"
#include "core/error.h"
#include "core/parallel.h"

namespace qs {

HessianAccumulator::HessianAccumulator(int64_t in_features)
    : in_(in_features), sum_(in_features * in_features, 0.0), batch_(in_features * in_features) {}

void HessianAccumulator::add(const float* x, int64_t n_tokens) {
  if (n_tokens <= 0) return;
  const int n = static_cast<int>(in_);
  blas::ssyrk_upper_ata(n, static_cast<int>(n_tokens), 1.0f, x, n, 0.0f, batch_.data(), n);
  for (int64_t r = 0; r < in_; ++r)
    for (int64_t c = r; c < in_; ++c) sum_[r * in_ + c] += batch_[r * in_ + c];
  tokens_ += n_tokens;
}

std::vector<double> HessianAccumulator::hessian(const std::string& layer) const {
  require(tokens_ > 0, layer, "no calibration tokens reached this layer");
  const double factor = 2.0 / static_cast<double>(tokens_);
  const int64_t n = in_;
  std::vector<double> h(n * n);
  bool finite = true;
#pragma omp parallel for reduction(&& : finite) schedule(dynamic, 16) if (worth_parallel(n * n))
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = r; c < n; ++c) {
      h[r * n + c] = factor * sum_[r * n + c];
      finite = finite && std::isfinite(h[r * n + c]);
    }
  if (!finite)
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = r; c < n; ++c)
        if (!std::isfinite(h[r * n + c]))
          throw Error(layer, "non-finite calibration activations (Hessian entry [" + std::to_string(r) + ", " +
                                 std::to_string(c) + "] is " + std::to_string(h[r * n + c]) + ")");
  // The lower triangle from the upper, in tiles (a plain column write strides a whole row).
  constexpr int64_t kTile = 32;
#pragma omp parallel for schedule(dynamic, 1) if (worth_parallel(n * n))
  for (int64_t r0 = 0; r0 < n; r0 += kTile)
    for (int64_t c0 = 0; c0 <= r0; c0 += kTile)
      for (int64_t r = r0; r < std::min(r0 + kTile, n); ++r)
        for (int64_t c = c0; c < std::min(std::min(c0 + kTile, n), r); ++c) h[r * n + c] = h[c * n + r];
  return h;
}

}  // namespace qs
