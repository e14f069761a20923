#pragma once
// GPTQ's proxy Hessian of one linear layer's input, H = 2/n * sum_t x_t x_t^T (n = tokens seen),
// accumulated batch by batch with SYRK.
//
// Precision: each batch is one fp32 SYRK (k = the batch's tokens, a few thousand at most: relative
// error ~1e-6, and half the flops and twice the speed of dsyrk, which matters because X^T X is, with
// the forward, the dominant cost of GPTQ); the running sum across batches is kept in fp64, so the
// error does not grow with the number of calibration windows. The reference accumulates everything
// in fp32 on the GPU, so this is at least as accurate.
#include <cstdint>
#include <string>
#include <vector>

namespace qs {

class HessianAccumulator {
 public:
  explicit HessianAccumulator(int64_t in_features);
  // x: [n_tokens, in_features] row-major fp32 (the layer's input rows).
  void add(const float* x, int64_t n_tokens);
  int64_t tokens() const { return tokens_; }
  int64_t in_features() const { return in_; }
  // H = 2/n * X^T X, full symmetric [in, in] row-major fp64. Throws qs::Error naming `layer` when
  // no tokens were added or when H holds NaN/Inf (non-finite activations).
  std::vector<double> hessian(const std::string& layer) const;

 private:
  int64_t in_;
  int64_t tokens_ = 0;
  std::vector<double> sum_;     // upper triangle of X^T X
  std::vector<float> batch_;    // scratch for one SYRK
};

}  // namespace qs
