#pragma once
// Keys and values of the tokens a sequence has already seen, per layer and KV head (rotary
// already applied to keys). Head-major: a head's rows [position, head_dim] are contiguous, so a
// decode step's attention streams each head's keys and values in one run instead of reading
// head_dim floats out of every kv_dim-float row (docs/engine.md, "Decode attention"). Grows on
// demand, geometrically.
#include <cstdint>
#include <vector>

#include "io/model_config.h"

namespace qs {

class KVCache {
 public:
  explicit KVCache(const ModelConfig& config);
  int64_t length() const { return length_; }  // committed tokens (positions 0 .. length-1)
  // Forget everything after the first `n` tokens (n <= length): reuse a shared prefix.
  void truncate(int64_t n);

  // Rows [0, length + pending) of a layer's keys / values of one KV head: head_dim floats each,
  // back to back.
  const float* keys(int64_t layer, int64_t kv_head) const { return layer_at(layer).keys.data() + head_offset(layer, kv_head); }
  const float* values(int64_t layer, int64_t kv_head) const { return layer_at(layer).values.data() + head_offset(layer, kv_head); }
  // Stores `n` new rows of [n_kv_heads · head_dim] floats (row stride ld) at positions
  // [length, length + n) of `layer`; they become visible to length() once commit(n) is called
  // after the last layer.
  void store(int64_t layer, const float* k, const float* v, int64_t n, int64_t ld);
  void commit(int64_t n);
  int64_t bytes() const;

 private:
  struct Layer {
    int64_t capacity = 0;  // positions each head has room for
    std::vector<float> keys, values;  // [n_kv_heads, capacity, head_dim]
  };
  const Layer& layer_at(int64_t layer) const { return layers_[static_cast<size_t>(layer)]; }
  int64_t head_offset(int64_t layer, int64_t kv_head) const { return kv_head * layer_at(layer).capacity * head_dim_; }
  void grow(Layer& layer, int64_t positions) const;

  int64_t n_kv_heads_, head_dim_;
  int64_t length_ = 0;
  std::vector<Layer> layers_;
};

}  // namespace qs
