// Per-target file (core/cpu_dispatch.h): Highway compiles the scorer once per instruction set
// (its tile max, exp and sums are the hot loops) and the dispatcher picks one at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "model/token_scorer.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/blas.h"
#include "core/cpu_dispatch.h"
#include "core/error.h"
#include "core/vector_math.h"
#include "model/linear.h"
#include "core/parallel.h"
#include "model/token_scorer.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace qs {
namespace HWY_NAMESPACE {

namespace {
// Rows per lm_head pass: sgemm is at full speed well below this, and a vocabulary tile of the
// logits budget stays wide (>= 2048 entries at this many rows).
constexpr int64_t kScorerRows = 2048;

struct RowState {
  float max = -std::numeric_limits<float>::infinity();
  int64_t argmax = -1;
  double sum = 0;  // Σ exp(l - max) over the tiles seen
  float target = 0;
};

// Folds logits[0, width) of vocabulary entries [v0, v0 + width) into `state`; `scratch` holds width floats.
void fold_tile(const float* logits, int64_t width, int64_t v0, int32_t target, float* scratch, RowState& state) {
  float tile_max = logits[0];
#pragma omp simd reduction(max : tile_max)
  for (int64_t j = 1; j < width; ++j) tile_max = std::max(tile_max, logits[j]);
  const int64_t tile_argmax = std::find(logits, logits + width, tile_max) - logits;  // the first, as torch.argmax
  if (tile_max > state.max) {
    state.sum *= std::exp(static_cast<double>(state.max) - tile_max);  // exp(-inf) = 0 on the first tile
    state.max = tile_max;
    state.argmax = v0 + tile_argmax;
  }
  const float max = state.max;
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) scratch[j] = logits[j] - max;
  exp_nonpositive_in_place(scratch, width);
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < width; ++j) sum += scratch[j];
  state.sum += sum;
  if (target >= v0 && target < v0 + width) state.target = logits[target - v0];
}
}  // namespace

std::vector<TokenScore> ScoreNextTokens(const Transformer& model, const float* hidden, int64_t n,
                                        const int32_t* targets) {
  const WeightMatrix& head = model.lm_head();
  const int64_t vocab = head.out_features(), d = head.in_features();
  for (int64_t i = 0; i < n; ++i)
    if (targets[i] < 0 || targets[i] >= vocab)
      throw Error("score_next_tokens", "target token id " + std::to_string(targets[i]) + " outside the vocabulary of " +
                                           std::to_string(vocab));
  std::vector<TokenScore> scores(static_cast<size_t>(n));
  const float* dense = head.f32_data();
  for (int64_t r0 = 0; r0 < n; r0 += kScorerRows) {
    const int64_t rows = std::min(kScorerRows, n - r0);
    // Vocabulary entries per tile: the logits tile and (for a non-fp32 lm_head) its widened
    // weights within the budget.
    const int64_t tile = std::min(vocab, std::max<int64_t>(256, kScorerLogitFloats / std::max(rows, d) / 16 * 16));
    std::vector<float> logits(static_cast<size_t>(rows * tile)), widened;
    if (!dense) widened.resize(static_cast<size_t>(tile * d));
    std::vector<RowState> states(static_cast<size_t>(rows));
    for (int64_t v0 = 0; v0 < vocab; v0 += tile) {
      const int64_t width = std::min(tile, vocab - v0);
      const float* w = dense ? dense + v0 * d : widened.data();
      if (!dense) widen_rows(head, v0, v0 + width, widened.data());
      blas::sgemm(blas::Trans::No, blas::Trans::Yes, static_cast<int>(rows), static_cast<int>(width),
                  static_cast<int>(d), 1.0f, hidden + r0 * d, static_cast<int>(d), w, static_cast<int>(d), 0.0f,
                  logits.data(), static_cast<int>(width));
#pragma omp parallel if (worth_parallel(rows * width))
      {
        std::vector<float> scratch(static_cast<size_t>(width));
#pragma omp for schedule(static)
        for (int64_t r = 0; r < rows; ++r)
          fold_tile(logits.data() + r * width, width, v0, targets[r0 + r], scratch.data(), states[static_cast<size_t>(r)]);
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      const RowState& s = states[static_cast<size_t>(r)];
      scores[static_cast<size_t>(r0 + r)] = {static_cast<double>(s.target) - s.max - std::log(s.sum),
                                             s.argmax == targets[r0 + r]};
    }
  }
  return scores;
}

}  // namespace HWY_NAMESPACE
}  // namespace qs
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qs {

HWY_EXPORT(ScoreNextTokens);

std::vector<TokenScore> score_next_tokens(const Transformer& model, const float* hidden, int64_t n,
                                          const int32_t* targets) {
  return QS_DISPATCH(ScoreNextTokens)(model, hidden, n, targets);
}

}  // namespace qs
#endif  // HWY_ONCE
