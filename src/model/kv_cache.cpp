#include "model/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace qs {

KVCache::KVCache(int64_t n_layers, int64_t kv_dim)
    : kv_dim_(kv_dim), keys_(static_cast<size_t>(n_layers)), values_(static_cast<size_t>(n_layers)) {}

void KVCache::truncate(int64_t n) {
  require(n >= 0 && n <= length_, "KVCache", "truncate beyond the cached length");
  length_ = n;
}

void KVCache::store(int64_t layer, const float* k, const float* v, int64_t n, int64_t ld) {
  auto& keys = keys_[static_cast<size_t>(layer)];
  auto& values = values_[static_cast<size_t>(layer)];
  const auto needed = static_cast<size_t>((length_ + n) * kv_dim_);
  if (keys.size() < needed) {
    // Geometric growth keeps token-by-token generation amortised O(1) per token.
    const size_t capacity = std::max(needed, keys.size() * 3 / 2);
    keys.resize(capacity);
    values.resize(capacity);
  }
  for (int64_t t = 0; t < n; ++t) {
    std::memcpy(keys.data() + (length_ + t) * kv_dim_, k + t * ld, static_cast<size_t>(kv_dim_) * sizeof(float));
    std::memcpy(values.data() + (length_ + t) * kv_dim_, v + t * ld, static_cast<size_t>(kv_dim_) * sizeof(float));
  }
}

void KVCache::commit(int64_t n) { length_ += n; }

int64_t KVCache::bytes() const {
  int64_t total = 0;
  for (const auto& k : keys_) total += static_cast<int64_t>(k.size() * sizeof(float) * 2);
  return total;
}

}  // namespace qs
