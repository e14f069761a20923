#pragma once
// Log-probabilities of given next tokens straight from final hidden states, without holding the
// [rows, vocab] logits: lm_head runs over vocabulary tiles and each row keeps an online
// log-sum-exp (running max m, Σ exp(l - m) rescaled when m grows, in double), its first argmax
// and its target's logit. Logits in flight are bounded by kScorerLogitFloats (16 MiB), where a
// full [2048, 151936] logits matrix is 1.2 GB. The result equals score_token on full logits up
// to the fp32 exp of each (l - m) <= 0 (about 1e-7 relative per term; the sum stays in double).
#include <cstdint>
#include <vector>

#include "model/layer_ops.h"
#include "model/transformer.h"

namespace qs {

constexpr int64_t kScorerLogitFloats = int64_t{1} << 22;

// hidden: [n, d_model] final-normed rows (Transformer::finish). targets[i] in [0, vocab).
// Returns, per row, log softmax(hidden[i] · lm_headᵀ)[targets[i]] and whether targets[i] is the
// first argmax. Throws qs::Error for a target outside the vocabulary.
std::vector<TokenScore> score_next_tokens(const Transformer& model, const float* hidden, int64_t n,
                                          const int32_t* targets);

}  // namespace qs
