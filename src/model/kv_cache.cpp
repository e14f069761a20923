#include "model/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace qs {

KVCache::KVCache(const ModelConfig& config)
    : n_kv_heads_(config.n_kv_heads), head_dim_(config.head_dim), layers_(static_cast<size_t>(config.n_layers)) {}

void KVCache::truncate(int64_t n) {
  require(n >= 0 && n <= length_, "KVCache", "truncate beyond the cached length");
  length_ = n;
}

// Re-lays every head at a capacity of at least `positions` (geometric growth keeps token-by-token
// generation amortised O(1) per token), keeping every row written so far.
void KVCache::grow(Layer& layer, int64_t positions) const {
  const int64_t capacity = std::max(positions, layer.capacity * 3 / 2);
  const auto relaid = [&](const std::vector<float>& old) {
    std::vector<float> rows(static_cast<size_t>(n_kv_heads_ * capacity * head_dim_));
    for (int64_t g = 0; g < n_kv_heads_; ++g)
      std::copy_n(old.begin() + g * layer.capacity * head_dim_, layer.capacity * head_dim_,
                  rows.begin() + g * capacity * head_dim_);
    return rows;
  };
  layer.keys = relaid(layer.keys);
  layer.values = relaid(layer.values);
  layer.capacity = capacity;
}

void KVCache::store(int64_t layer_index, const float* k, const float* v, int64_t n, int64_t ld) {
  Layer& layer = layers_[static_cast<size_t>(layer_index)];
  if (layer.capacity < length_ + n) grow(layer, length_ + n);
  const auto bytes = static_cast<size_t>(head_dim_) * sizeof(float);
  for (int64_t g = 0; g < n_kv_heads_; ++g) {
    float* keys = layer.keys.data() + (g * layer.capacity + length_) * head_dim_;
    float* values = layer.values.data() + (g * layer.capacity + length_) * head_dim_;
    for (int64_t t = 0; t < n; ++t) {
      std::memcpy(keys + t * head_dim_, k + t * ld + g * head_dim_, bytes);
      std::memcpy(values + t * head_dim_, v + t * ld + g * head_dim_, bytes);
    }
  }
}

void KVCache::commit(int64_t n) { length_ += n; }

int64_t KVCache::bytes() const {
  int64_t total = 0;
  for (const auto& layer : layers_) total += static_cast<int64_t>((layer.keys.size() + layer.values.size()) * sizeof(float));
  return total;
}

}  // namespace qs
