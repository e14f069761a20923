#pragma once
// Keys and values of the tokens a sequence has already seen, per layer: [length, kv_dim] each
// (kv_dim = n_kv_heads * head_dim, rotary already applied to keys). Grows on demand.
#include <cstdint>
#include <vector>

namespace qs {

class KVCache {
 public:
  KVCache(int64_t n_layers, int64_t kv_dim);
  int64_t length() const { return length_; }  // committed tokens (positions 0 .. length-1)
  int64_t kv_dim() const { return kv_dim_; }
  // Forget everything after the first `n` tokens (n <= length): reuse a shared prefix.
  void truncate(int64_t n);

  // Rows [0, length + pending) of a layer's keys / values.
  const float* keys(int64_t layer) const { return keys_[layer].data(); }
  const float* values(int64_t layer) const { return values_[layer].data(); }
  // Stores `n` new rows at positions [length, length + n) of `layer`; they become visible to
  // length() once commit(n) is called after the last layer.
  void store(int64_t layer, const float* k, const float* v, int64_t n, int64_t ld);
  void commit(int64_t n);
  int64_t bytes() const;

 private:
  int64_t kv_dim_;
  int64_t length_ = 0;
  std::vector<std::vector<float>> keys_, values_;
};

}  // namespace qs
