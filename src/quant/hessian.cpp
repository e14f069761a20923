#include "quant/hessian.h"

#include <cmath>

#include "core/blas.h"
#include "core/error.h"

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
  std::vector<double> h(in_ * in_);
  for (int64_t r = 0; r < in_; ++r) {
    for (int64_t c = r; c < in_; ++c) {
      double value = factor * sum_[r * in_ + c];
      if (!std::isfinite(value))
        throw Error(layer, "non-finite calibration activations (Hessian entry [" + std::to_string(r) + ", " +
                               std::to_string(c) + "] is " + std::to_string(value) + ")");
      h[r * in_ + c] = value;
      h[c * in_ + r] = value;
    }
  }
  return h;
}

}  // namespace qs
