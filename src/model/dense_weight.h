#pragma once
// A dense weight matrix stored in a checkpoint as F32 (used in place, zero-copy), BF16 or F16
// (widened a block of rows at a time by the linear op; never a whole-model fp32 copy).
#include <memory>
#include <string>

#include "io/checkpoint.h"
#include "model/weight_matrix.h"

namespace qs {

class DenseWeight : public WeightMatrix {
 public:
  // `tensor` must be 2-D F32/BF16/F16 and outlive this object (the checkpoint's mapping).
  // Throws qs::Error naming the file and tensor for another dtype or a non-finite value.
  explicit DenseWeight(const TensorView& tensor);
  int64_t out_features() const override { return out_; }
  int64_t in_features() const override { return in_; }
  void rows_to_f32(int64_t row_begin, int64_t row_end, float* dst) const override;
  int64_t stored_bytes() const override { return static_cast<int64_t>(tensor_.n_bytes); }
  double bits_per_weight() const override;
  std::string format() const override;
  const float* f32_data() const override;
  // Highway row-dot kernel (model/dense_product.h) for F32/BF16/F16 data aligned to its element
  // size; the default (widen, then dot) otherwise.
  void accumulate_product(const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                          float* y) const override;
  int64_t small_batch_tokens() const override;

 private:
  const TensorView& tensor_;
  int64_t out_ = 0;
  int64_t in_ = 0;
};

// Throws qs::Error naming file and tensor when a float tensor holds NaN or Inf (bit-pattern
// scan, parallel; touches every page once).
void check_finite(const TensorView& tensor);

}  // namespace qs
