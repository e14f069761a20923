#pragma once
// A linear layer's weight W[out_features, in_features] as stored: dense fp32/bf16/fp16 (mmap,
// zero-copy) or GPTQ-packed. The forward pass never materialises a whole model in fp32: it
// widens a block of rows at a time into a scratch buffer and runs sgemm on it, or, for a few
// tokens (decode), multiplies straight from the stored form (accumulate_product).
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

  // The small-batch product y[t, o] += Σ_i x[t, i] · W[o, i] for t < n_tokens and o in
  // [row_begin, row_end), read from the stored form (each weight read once per call, not packed
  // or widened into a buffer): the decode path of the linear op. x: [n_tokens, in_features], y:
  // [n_tokens, out_features], row-major; fp32 accumulation, so it equals the widen + sgemm
  // result up to summation order. Thread-safe for disjoint row ranges. The default widens the
  // rows (rows_to_f32) and takes the dot products one by one.
  virtual void accumulate_product(const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                                  float* y) const;
  // Up to how many tokens accumulate_product beats widen + sgemm (the linear op's crossover,
  // measured by bench/decode_bench.cpp); 0: never.
  virtual int64_t small_batch_tokens() const { return 0; }
  // Wᵀ for rows [row_begin, row_end) as fp32 into dst: dst[i · ld + (o − row_begin)]. For a
  // storage whose order is input-major (GPTQ's qweight) this is the widening without a transpose.
  // Returns false (writing nothing) when the matrix has no such path; rows_to_f32 is used then.
  virtual bool columns_to_f32(int64_t /*row_begin*/, int64_t /*row_end*/, float* /*dst*/, int64_t /*ld*/) const {
    return false;
  }
};

}  // namespace qs
