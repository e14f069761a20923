#include "model/dense_weight.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/error.h"
#include "core/parallel.h"
#include "model/dense_product.h"

namespace qs {

namespace {
// Small-batch crossovers (tokens per linear call) of DenseWeight::small_batch_tokens: the row-dot
// kernel measured ≥ 1.9× faster than sgemm up to 32 tokens and level with it from 64 on
// (bench/decode_bench.cpp BM_SmallBatchCrossover, docs/engine.md); 32 also covers every decode
// batch the evaluator forms.
constexpr int64_t kDenseF32SmallBatch = 32;
constexpr int64_t kDenseHalfSmallBatch = 32;

// First index whose exponent bits are all ones (NaN or Inf), or -1.
template <typename Word>
int64_t first_non_finite(const uint8_t* data, int64_t count, Word exponent_mask) {
  const auto* words = reinterpret_cast<const Word*>(data);
  constexpr int64_t kBlock = 65536;
  int64_t first = INT64_MAX;
#pragma omp parallel for schedule(static) reduction(min : first) if (worth_parallel(count))
  for (int64_t block = 0; block < (count + kBlock - 1) / kBlock; ++block) {
    const int64_t end = std::min(count, (block + 1) * kBlock);
    bool bad = false;  // branch-free scan first (vectorizes), locate only when needed
    for (int64_t i = block * kBlock; i < end; ++i) bad |= (words[i] & exponent_mask) == exponent_mask;
    if (!bad) continue;
    for (int64_t i = block * kBlock; i < end; ++i)
      if ((words[i] & exponent_mask) == exponent_mask) {
        first = std::min(first, i);
        break;
      }
  }
  return first == INT64_MAX ? -1 : first;
}
}  // namespace

void check_finite(const TensorView& tensor) {
  int64_t index = -1;
  switch (tensor.dtype) {
    case DType::F32: index = first_non_finite<uint32_t>(tensor.data, tensor.numel(), 0x7f800000u); break;
    case DType::BF16: index = first_non_finite<uint16_t>(tensor.data, tensor.numel(), 0x7f80u); break;
    case DType::F16: index = first_non_finite<uint16_t>(tensor.data, tensor.numel(), 0x7c00u); break;
    default: return;
  }
  require(index < 0, tensor.file,
          "tensor '" + tensor.name + "' holds a non-finite value (NaN or Inf) at element " + std::to_string(index));
}

DenseWeight::DenseWeight(const TensorView& tensor) : tensor_(tensor) {
  const std::string where = tensor.file + ": tensor '" + tensor.name + "'";
  require(tensor.shape.size() == 2, where, "a weight matrix must be 2-D, got shape " + tensor.shape_string());
  require(tensor.dtype == DType::F32 || tensor.dtype == DType::BF16 || tensor.dtype == DType::F16, where,
          "weight dtype " + std::string(dtype_name(tensor.dtype)) + " is not F32, BF16 or F16");
  out_ = tensor.shape[0];
  in_ = tensor.shape[1];
  check_finite(tensor);
}

void DenseWeight::rows_to_f32(int64_t row_begin, int64_t row_end, float* dst) const {
  tensor_.to_f32(row_begin * in_, (row_end - row_begin) * in_, dst);
}

double DenseWeight::bits_per_weight() const { return 8.0 * static_cast<double>(dtype_size(tensor_.dtype)); }

std::string DenseWeight::format() const { return std::string(dtype_name(tensor_.dtype)); }

void DenseWeight::accumulate_product(const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                                     float* y) const {
  if (reinterpret_cast<uintptr_t>(tensor_.data) % dtype_size(tensor_.dtype) != 0)
    return WeightMatrix::accumulate_product(x, n_tokens, row_begin, row_end, y);
  dense_rows_product({tensor_.data, tensor_.dtype, out_, in_}, x, n_tokens, row_begin, row_end, y);
}

int64_t DenseWeight::small_batch_tokens() const {
  // Measured crossover (bench/decode_bench.cpp, docs/engine.md): below it the row-dot kernel's
  // single pass over the weights beats sgemm's packing (and, for BF16/F16, the widening pass).
  return tensor_.dtype == DType::F32 ? kDenseF32SmallBatch : kDenseHalfSmallBatch;
}

const float* DenseWeight::f32_data() const {
  // The data section starts at 8 + header length, padded to 8 by writers that follow the spec;
  // an unaligned F32 tensor is widened like the others instead of read in place.
  if (tensor_.dtype != DType::F32 || reinterpret_cast<uintptr_t>(tensor_.data) % alignof(float) != 0) return nullptr;
  return reinterpret_cast<const float*>(tensor_.data);
}

}  // namespace qs
