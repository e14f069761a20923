#pragma once
// Strided-window perplexity, the convention of Hugging Face's perplexity guide
// (https://huggingface.co/docs/transformers/perplexity) and of the GPTQ paper's WikiText-2
// numbers:
//   windows [b, min(b + ctx, n)) for b = 0, stride, 2·stride, ... until a window reaches n;
//   each window scores the tokens at positions >= max(previous window's end, b + 1), predicted
//   from everything before them inside the window;
//   ppl = exp(Σ NLL / number of scored tokens)   (token-weighted).
// With stride = ctx the windows are disjoint and every token except each window's first is
// scored, as in GPTQ's eval loop (which also drops a final partial window; we score it, as the
// HF guide does: it changes at most the last ctx tokens). Smaller strides give each scored
// token at least ctx - stride tokens of context.
#include <cstdint>
#include <functional>
#include <span>

#include "model/transformer.h"

namespace qs {

struct PerplexityResult {
  double nll_sum = 0;      // nats
  int64_t n_scored = 0;    // tokens
  int64_t n_windows = 0;
  double ppl() const;      // exp(nll_sum / n_scored)
};

// Windows run in batches of up to `batch_tokens` tokens per forward pass. `on_progress(done,
// total)` counts scored tokens. Throws qs::Error for fewer than 2 tokens or ctx/stride < 1,
// or stride > ctx, and for a non-finite log-probability (naming the token position and window).
PerplexityResult strided_perplexity(const Transformer& model, std::span<const int32_t> tokens, int64_t ctx,
                                    int64_t stride, int64_t batch_tokens = 2048,
                                    const std::function<void(int64_t, int64_t)>& on_progress = {});

}  // namespace qs
