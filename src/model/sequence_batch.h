#pragma once
// How the rows of a hidden-state matrix [n_tokens, d_model] split into sequences: spans laid
// out back to back. Each span may continue a sequence whose earlier tokens are in a KV cache
// (its positions start at cache->length()); with store = false the cache is a read-only shared
// prefix (several continuations of one context in one batch).
#include <cstdint>
#include <vector>

#include "model/kv_cache.h"

namespace qs {

struct SequenceSpan {
  int64_t n_tokens = 0;
  KVCache* cache = nullptr;  // nullptr: a fresh sequence starting at position 0, nothing kept
  bool store = true;         // append this span's keys/values to `cache`
};

using SequenceBatch = std::vector<SequenceSpan>;

inline int64_t total_tokens(const SequenceBatch& batch) {
  int64_t n = 0;
  for (const auto& span : batch) n += span.n_tokens;
  return n;
}

}  // namespace qs
