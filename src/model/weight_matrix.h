#pragma once
// A linear layer's weight W[out_features, in_features] as stored: dense fp32/bf16/fp16 (mmap,
// zero-copy) or GPTQ-packed. The forward pass never materialises a whole model in fp32: it
// widens a block of rows at a time into a scratch buffer and runs sgemm on it.
#include <cstdint>
#include <memory>
#include <string>

namespace qs {

class WeightMatrix {
 public:
  virtual ~WeightMatrix() = default;
  virtual int64_t out_features() const = 0;
  virtual int64_t in_features() const = 0;
  // Writes rows [row_begin, row_end) of W as fp32, row-major, into dst (ld = in_features).
  // Called concurrently from several threads for disjoint row ranges: must be thread-safe.
  virtual void rows_to_f32(int64_t row_begin, int64_t row_end, float* dst) const = 0;
  // Stored bytes (for memory reports) and bits per weight including scales/zeros.
  virtual int64_t stored_bytes() const = 0;
  virtual double bits_per_weight() const = 0;
  // A description for info: "BF16", "F32", "GPTQ 4-bit g128" ...
  virtual std::string format() const = 0;
  // Dense fp32 storage, row-major with ld = in_features, when the matrix has one (the linear op
  // then runs sgemm on it directly, zero-copy); nullptr otherwise (rows are widened per tile).
  virtual const float* f32_data() const { return nullptr; }
};

}  // namespace qs
