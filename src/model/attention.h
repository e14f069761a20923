#pragma once
// Causal multi-head attention with grouped KV heads (GQA), per sequence of a batch:
//   out_h = softmax(Q_h K_gᵀ / √head_dim + causal mask) V_g,   g = h / (n_heads / n_kv_heads)
// where K_g, V_g are the cached keys of earlier tokens followed by this span's own.
#include <cstdint>

#include "io/model_config.h"
#include "model/sequence_batch.h"

namespace qs {

// q: [n, q_dim], k, v: [n, kv_dim] for the batch's n = total_tokens(batch) rows (rotary already
// applied). Spans with a cache and store = true append their k, v to it for `layer` (commit is
// the caller's, after the last layer). out: [n, q_dim].
void causal_attention(const ModelConfig& config, int64_t layer, const SequenceBatch& batch, const float* q,
                      const float* k, const float* v, float* out);

}  // namespace qs
