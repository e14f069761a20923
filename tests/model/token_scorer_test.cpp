// score_next_tokens (vocabulary tiles, online log-sum-exp) against score_token on full logits.
#include "model/token_scorer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/blas.h"
#include "core/error.h"
#include "float_error_model.h"
#include "model/linear.h"
#include "io/random_checkpoint.h"
#include "test_support.h"

namespace qs {
namespace {

// Rows past one 2048-row pass and a vocabulary of several tiles, fp32 (zero-copy lm_head) and
// bf16 (widened tile by tile), against score_token on the full [rows, vocab] logits.
// Error model (tests/float_error_model.h): both sides compute every logit z_ij = Σ_k h_ik w_jk
// (length d) with sgemm, in different blockings; each is within γ_d·s_ij of exact (Higham's
// worst-case bound, s_ij = Σ_k |h_ik||w_jk|), so they differ by ≤ 2γ_d·max_j s_ij per row, and
// log-softmax moves by at most twice that. The scorer's exp is fp32 (libmvec: ≤ 4 ulp) of a
// rounded difference (relative error |x|·u), summed in double: log-sum-exp moves by ≤
// u·(4 + Σ e^x |x| / Σ e^x), computed per row. Argmax decisions must agree wherever the full
// logits' top-2 gap exceeds twice the logit bound; closer rows are counted and bounded.
TEST(TokenScorer, MatchesFullLogitsAcrossRowPassesAndVocabularyTiles) {
  for (DType dtype : {DType::F32, DType::BF16}) {
    const std::string name(dtype_name(dtype));
    test::ScratchDir dir("scorer_" + name);
    const TinyShape shape{.d_model = 64, .vocab_size = 6000};
    write_random_checkpoint(dir.path(), tiny_config_json("LlamaForCausalLM", shape), {.dtype = dtype, .seed = 9});
    auto model = Transformer::load(dir.path());
    const int64_t n = 2100, d = model->config().d_model, vocab = model->config().vocab_size;
    ASSERT_GT(vocab, kScorerLogitFloats / n);  // more than one vocabulary tile per pass
    std::mt19937 rng(4);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    std::vector<float> hidden(static_cast<size_t>(n * d));
    for (float& x : hidden) x = normal(rng);
    std::vector<int32_t> targets(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) targets[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7919) % vocab);
    std::vector<float> logits(static_cast<size_t>(n * vocab));
    model->logits(hidden.data(), n, logits.data());
    // Every 50th row targets its own argmax, so both answers of is_argmax are exercised.
    for (int64_t i = 0; i < n; i += 50) targets[static_cast<size_t>(i)] = argmax(logits.data() + i * vocab, vocab);
    // s_ij = Σ_k |h_ik||w_jk|: the same product on absolute values, in double.
    std::vector<float> head(static_cast<size_t>(vocab * d));
    widen_rows(model->lm_head(), 0, vocab, head.data());
    std::vector<float> abs_hidden(hidden), abs_products(static_cast<size_t>(n * vocab));
    for (float& x : abs_hidden) x = std::fabs(x);
    for (float& x : head) x = std::fabs(x);
    blas::sgemm(blas::Trans::No, blas::Trans::Yes, static_cast<int>(n), static_cast<int>(vocab), static_cast<int>(d), 1.0f,
                abs_hidden.data(), static_cast<int>(d), head.data(), static_cast<int>(d), 0.0f, abs_products.data(),
                static_cast<int>(vocab));
    std::vector<double> row_scale(static_cast<size_t>(n));  // max_j s_ij (a sum of positives: rounding is immaterial)
    for (int64_t i = 0; i < n; ++i)
      row_scale[static_cast<size_t>(i)] = *std::max_element(abs_products.begin() + i * vocab, abs_products.begin() + (i + 1) * vocab);

    const auto scores = score_next_tokens(*model, hidden.data(), n, targets.data());
    ASSERT_EQ(static_cast<int64_t>(scores.size()), n);
    double worst = 0, worst_fraction = 0;
    int64_t greedy = 0, near_ties = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float* row = logits.data() + i * vocab;
      const TokenScore full = score_token(row, vocab, targets[static_cast<size_t>(i)]);
      const double logit_bound = 2 * test::dot_error_bound(d, row_scale[static_cast<size_t>(i)]);
      const float top = row[argmax(row, vocab)];
      double weighted = 0, total = 0, runner_up = -1e300;
      bool top_seen = false;
      for (int64_t j = 0; j < vocab; ++j) {
        const double x = static_cast<double>(row[j]) - top, e = std::exp(x);
        weighted += e * std::fabs(x);
        total += e;
        if (row[j] == top && !top_seen) top_seen = true;
        else runner_up = std::max(runner_up, static_cast<double>(row[j]));
      }
      const double bound = 2 * logit_bound + test::kF32Unit * (4 + weighted / total);
      const double error = std::abs(scores[static_cast<size_t>(i)].logprob - full.logprob);
      worst = std::max(worst, error);
      worst_fraction = std::max(worst_fraction, error / bound);
      EXPECT_LE(error, bound) << "row " << i;
      if (top - runner_up > 2 * logit_bound)
        EXPECT_EQ(scores[static_cast<size_t>(i)].is_argmax, full.is_argmax) << "row " << i;
      else
        near_ties += scores[static_cast<size_t>(i)].is_argmax != full.is_argmax;
      greedy += full.is_argmax;
    }
    std::printf("[scorer] %s: worst |dlogprob| = %.2e (%.3g of its bound) over %lld rows, %lld greedy, %lld near-tie flips\n",
                name.c_str(), worst, worst_fraction, static_cast<long long>(n), static_cast<long long>(greedy),
                static_cast<long long>(near_ties));
    EXPECT_LE(near_ties, n / 1000);
    EXPECT_GE(greedy, 42);
  }
}

// All logits equal (zero hidden state): every entry ties, the first is the argmax (torch.argmax)
// and each log-probability is exactly -log(vocab) up to rounding.
TEST(TokenScorer, TiesGoToTheFirstEntryAndBadTargetsAreErrors) {
  test::ScratchDir dir("scorer_ties");
  write_random_checkpoint(dir.path(), tiny_config_json("Qwen3ForCausalLM", {.vocab_size = 5000}), {.seed = 2});
  auto model = Transformer::load(dir.path());
  const int64_t d = model->config().d_model, vocab = model->config().vocab_size;
  const std::vector<float> hidden(static_cast<size_t>(3 * d), 0.0f);
  const std::vector<int32_t> targets{0, 1, static_cast<int32_t>(vocab - 1)};
  const auto scores = score_next_tokens(*model, hidden.data(), 3, targets.data());
  EXPECT_TRUE(scores[0].is_argmax);
  EXPECT_FALSE(scores[1].is_argmax);
  EXPECT_FALSE(scores[2].is_argmax);
  for (const TokenScore& s : scores) EXPECT_NEAR(s.logprob, -std::log(static_cast<double>(vocab)), 1e-9);
  const std::vector<int32_t> bad{static_cast<int32_t>(vocab)};
  EXPECT_THROW(score_next_tokens(*model, hidden.data(), 1, bad.data()), Error);
}

}  // namespace
}  // namespace qs
