#include "model/perplexity.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "model/token_scorer.h"

namespace qs {

double PerplexityResult::ppl() const { return std::exp(nll_sum / static_cast<double>(n_scored)); }

namespace {
struct Window {
  int64_t begin, end;  // tokens [begin, end)
  int64_t first_scored;
};

// The error for scored row `row` of windows [w0, w1): which token position and window.
Error non_finite_token(const std::vector<Window>& windows, size_t w0, size_t w1, size_t row) {
  size_t w = w0;
  int64_t p = windows[w0].first_scored + static_cast<int64_t>(row);
  while (w + 1 < w1 && p >= windows[w].end) {
    p -= windows[w].end;
    ++w;
    p += windows[w].first_scored;
  }
  return Error("perplexity", "non-finite log-probability (NaN or Inf) for token " + std::to_string(p) + " (window " +
                                 std::to_string(w) + ", tokens [" + std::to_string(windows[w].begin) + ", " +
                                 std::to_string(windows[w].end) +
                                 ")): the model's activations overflowed or hold NaN (check its weights and scales)");
}
}  // namespace

PerplexityResult strided_perplexity(const Transformer& model, std::span<const int32_t> tokens, int64_t ctx,
                                    int64_t stride, int64_t batch_tokens,
                                    const std::function<void(int64_t, int64_t)>& on_progress) {
  const auto n = static_cast<int64_t>(tokens.size());
  require(n >= 2, "perplexity", "need at least 2 tokens, got " + std::to_string(n));
  require(ctx >= 2 && stride >= 1 && stride <= ctx, "perplexity",
          "need ctx >= 2 and 1 <= stride <= ctx (ctx " + std::to_string(ctx) + ", stride " + std::to_string(stride) + ")");
  require(ctx <= model.config().max_position, "perplexity",
          "ctx " + std::to_string(ctx) + " exceeds the model's max_position_embeddings (" +
              std::to_string(model.config().max_position) + ")");
  std::vector<Window> windows;
  int64_t previous_end = 0;
  for (int64_t begin = 0; begin < n; begin += stride) {
    const int64_t end = std::min(begin + ctx, n);
    windows.push_back({begin, end, std::max(previous_end, begin + 1)});
    previous_end = end;
    if (end == n) break;
  }
  int64_t total = 0;
  for (const Window& w : windows) total += w.end - w.first_scored;
  const int64_t d = model.config().d_model;

  PerplexityResult result;
  result.n_windows = static_cast<int64_t>(windows.size());
  for (size_t w0 = 0; w0 < windows.size();) {
    size_t w1 = w0;
    int64_t n_tokens = 0;
    SequenceBatch batch;
    std::vector<int32_t> batch_ids;
    while (w1 < windows.size() && (w1 == w0 || n_tokens + (windows[w1].end - windows[w1].begin) <= batch_tokens)) {
      const Window& w = windows[w1++];
      batch.push_back({w.end - w.begin});
      batch_ids.insert(batch_ids.end(), tokens.begin() + w.begin, tokens.begin() + w.end);
      n_tokens += w.end - w.begin;
    }
    const std::vector<float> hidden = model.forward(batch_ids, batch);
    // Rows whose next token is scored: position p - 1 predicts token p.
    std::vector<int64_t> rows;
    std::vector<int32_t> targets;
    int64_t row0 = 0;
    for (size_t w = w0; w < w1; ++w) {
      for (int64_t p = windows[w].first_scored; p < windows[w].end; ++p) {
        rows.push_back(row0 + p - 1 - windows[w].begin);
        targets.push_back(tokens[static_cast<size_t>(p)]);
      }
      row0 += windows[w].end - windows[w].begin;
    }
    std::vector<float> gathered(rows.size() * static_cast<size_t>(d));
    for (size_t r = 0; r < rows.size(); ++r)
      std::copy_n(hidden.begin() + rows[r] * d, d, gathered.begin() + static_cast<int64_t>(r) * d);
    const std::vector<TokenScore> scores =
        score_next_tokens(model, gathered.data(), static_cast<int64_t>(rows.size()), targets.data());
    // A NaN/Inf log-probability comes from a non-finite activation (an overflowing weight, a
    // NaN scale): an error naming the first token, never a "perplexity nan" taken for a result.
    // One comparison per scored token, nothing per logit.
    for (size_t r = 0; r < scores.size(); ++r) {
      if (!std::isfinite(scores[r].logprob)) throw non_finite_token(windows, w0, w1, r);
      result.nll_sum -= scores[r].logprob;  // fixed order: reproducible sums
    }
    result.n_scored += static_cast<int64_t>(rows.size());
    if (on_progress) on_progress(result.n_scored, total);
    w0 = w1;
  }
  return result;
}

}  // namespace qs
