#pragma once
// Float tolerances from an error model, never from one machine's results. Two fp32 results
// that differ only in summation order (another BLAS kernel, another blocking, another SIMD
// width) are compared against a bound built from these pieces, and each test states which.
#include <cmath>
#include <cstdint>

namespace qs::test {

// Unit roundoff of fp32 (round to nearest): u = 2^-24.
constexpr double kF32Unit = 0x1p-24;

// Higham, Accuracy and Stability of Numerical Algorithms (2002), eq. 3.5: a dot product of
// length k, in any summation order, with or without FMA, is within γ_k · Σ|a_i b_i| of the
// exact value, γ_k = k·u / (1 − k·u). A worst-case bound: it holds on every CPU.
inline double dot_error_bound(int64_t k, double sum_abs_products) {
  const double ku = static_cast<double>(k) * kF32Unit;
  return ku / (1 - ku) * sum_abs_products;
}

// Higham & Mary, "A new approach to probabilistic rounding error analysis" (SIAM J. Sci.
// Comput. 2019), Theorem 2.4: with rounding errors modelled as independent and mean-zero, a
// length-k dot product is within λ·√k·u · Σ|a_i b_i| of exact with probability at least
// 1 − 2·exp(−λ²(1−u)²/2); λ = 6 makes a miss a 3e-8 event per dot product. For chains of many
// operations (a whole forward pass) where the worst case is far too loose to test anything.
inline double probabilistic_dot_error_bound(int64_t k, double sum_abs_products, double lambda = 6) {
  return lambda * std::sqrt(static_cast<double>(k)) * kF32Unit * sum_abs_products;
}

// First-order error of an fp32 decoder's outputs (hidden states or logits) against an exact
// forward, for `n_layers` blocks whose longest dot product has length `k` (max of d_model and
// d_ff): each of a block's four GEMM stages (q/k/v, output, gate/up, down) and the lm_head adds
// at most a probabilistic √k·u relative error to the magnitudes it carries, and the residual
// stream carries them to the output; those magnitudes are taken as `max_abs_output`.
inline double forward_error_bound(int64_t n_layers, int64_t k, double max_abs_output, double lambda = 6) {
  const double stages = 4.0 * static_cast<double>(n_layers) + 1;
  return stages * probabilistic_dot_error_bound(k, max_abs_output, lambda);
}

// log-softmax moves by at most twice the largest logit change, and so does a difference of two
// logits (a greedy margin): the per-token bound for log-probabilities and decisions.
inline double logprob_error_bound(int64_t n_layers, int64_t k, double max_abs_logit, double lambda = 6) {
  return 2 * forward_error_bound(n_layers, k, max_abs_logit, lambda);
}

}  // namespace qs::test
