// factor_hessian's factor F (one Cholesky of the flipped, permuted, damped H, V = P L P, and
// per super-block S: F_SS = (V_SS)^-1, F[:s, S] = V[:s, S] F_SS; gptq.h), turned back into
// U = V^-1 here, against the U the reference implementations compute the long way round
// (IST-DASLab gptq.py, AutoGPTQ: Cholesky of H, its inverse (potri), then the upper Cholesky of
// H^-1), both in fp64 LAPACK, on the synthetic layer of the reference tests (dead inputs,
// act-order). The two are the same matrix in exact arithmetic (the Cholesky factor is unique), so
// they may differ only by rounding, bounded below from the condition number of H.
#include <gtest/gtest.h>
#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "quant/gptq.h"
#include "quant/hessian.h"
#include "quant/layer_fixture.h"

namespace qs {
namespace {

constexpr double kF64Unit = 0x1p-53;

// The reference's U for H with its dead inputs set to 1, permuted by perm and damped: upper
// triangular [n, n] row-major with U^T U = (H_pp + damp * mean(diag H) * I)^-1, lower part zero.
std::vector<double> reference_inverse_cholesky(std::vector<double> h, const std::vector<int64_t>& perm, int64_t n,
                                               double damp) {
  for (int64_t i = 0; i < n; ++i)
    if (h[i * n + i] == 0) h[i * n + i] = 1;
  double mean_diag = 0;
  for (int64_t i = 0; i < n; ++i) mean_diag += h[i * n + i] / static_cast<double>(n);
  std::vector<double> a(n * n);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < n; ++c) a[r * n + c] = h[perm[r] * n + perm[c]];
  for (int64_t i = 0; i < n; ++i) a[i * n + i] += damp * mean_diag;
  const int dim = static_cast<int>(n);
  EXPECT_EQ(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', dim, a.data(), dim), 0);  // H = L L^T
  EXPECT_EQ(LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', dim, a.data(), dim), 0);  // H^-1, lower triangle
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = r + 1; c < n; ++c) a[r * n + c] = a[c * n + r];
  EXPECT_EQ(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', dim, a.data(), dim), 0);  // H^-1 = U^T U
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < r; ++c) a[r * n + c] = 0;
  return a;
}

// U = V^-1 from F: per super-block V_SS = (F_SS)^-1 and V[:s, S] = F[:s, S] V_SS, then one inverse.
std::vector<double> u_from_factor(const GptqFactorization& f) {
  const int64_t n = f.in_features;
  std::vector<double> a = f.factor;
  const int ld = static_cast<int>(n);
  for (int64_t s = 0; s < n; s += f.super_block) {
    const int m = static_cast<int>(std::min(f.super_block, n - s));
    EXPECT_EQ(LAPACKE_dtrtri(LAPACK_ROW_MAJOR, 'U', 'N', m, &a[s * n + s], ld), 0);
    if (s > 0)
      cblas_dtrmm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, static_cast<int>(s), m, 1.0,
                  &a[s * n + s], ld, &a[s], ld);
  }
  EXPECT_EQ(LAPACKE_dtrtri(LAPACK_ROW_MAJOR, 'U', 'N', ld, a.data(), ld), 0);
  return a;
}

// kappa_2 of the damped, permuted H (the permutation does not change it): largest / smallest eigenvalue.
double condition_number(const std::vector<double>& h, int64_t n, double damp) {
  std::vector<double> a(h);
  double mean_diag = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (a[i * n + i] == 0) a[i * n + i] = 1;
    mean_diag += a[i * n + i] / static_cast<double>(n);
  }
  for (int64_t i = 0; i < n; ++i) a[i * n + i] += damp * mean_diag;
  std::vector<double> eigenvalues(n);
  const int dim = static_cast<int>(n);
  EXPECT_EQ(LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', dim, a.data(), dim, eigenvalues.data()), 0);
  return eigenvalues.back() / eigenvalues.front();
}

void expect_factor_matches_reference(bool act_order, double damp, int group_size, int64_t expected_super_block) {
  SCOPED_TRACE(std::string(act_order ? "act-order" : "natural order") + ", damp " + std::to_string(damp) + ", group " +
               std::to_string(group_size));
  const test::LayerData layer = test::make_layer(96, 256, 512, 20240601, /*dead_columns=*/2);
  const int64_t n = layer.in;
  HessianAccumulator accumulator(n);
  accumulator.add(layer.inputs.data(), layer.tokens);
  const std::vector<double> h = accumulator.hessian("fixture");
  GptqOptions options;
  options.act_order = act_order;
  options.damp = damp;
  options.group_size = group_size;
  const GptqFactorization f = factor_hessian(h, n, options, "fixture");
  ASSERT_EQ(f.cholesky_retries, 0);
  ASSERT_EQ(f.dead.size(), 2u);
  if (!act_order) {
    std::vector<int64_t> identity(n);
    std::iota(identity.begin(), identity.end(), 0);
    EXPECT_EQ(f.perm, identity);
  }
  // Blocks of 128 unless a group does not divide them: lcm(128, 96) = 384 > n, one super-block.
  EXPECT_EQ(f.super_block, expected_super_block);
  const std::vector<double> expected = reference_inverse_cholesky(h, f.perm, n, damp);
  ASSERT_EQ(f.factor.size(), expected.size());
  const std::vector<double> u = u_from_factor(f);

  double diff2 = 0, norm2 = 0;
  for (size_t k = 0; k < expected.size(); ++k) {
    diff2 += (u[k] - expected[k]) * (u[k] - expected[k]);
    norm2 += expected[k] * expected[k];
  }
  const double relative = std::sqrt(diff2 / norm2);
  // Worst-case first-order bound. A computed Cholesky factor R of A has R^T R = A + dA with
  // ||dA||_F <= n gamma_{n+1} ||A||_2 (Higham 2002, Thm 10.3 with || |R^T| |R| ||_F <= n ||A||_2),
  // which moves R by at most kappa/sqrt(2) * ||dA||/||A|| relative (Thm 10.8); a triangular or
  // SPD inverse is within kappa n gamma_{n+1} relative (Thms 8.5, 14.x). Ours: one Cholesky and one
  // inverse per super-block and a product, then this test's own inverses back to U: within
  // 4 kappa n gamma. The reference: a Cholesky and potri give H^-1 within 2 kappa n gamma, which
  // its final Cholesky (of H^-1, same kappa) amplifies by kappa/sqrt(2), plus its own
  // kappa n gamma. The difference is within the sum.
  const double kappa = condition_number(h, n, damp);
  const double n_gamma = static_cast<double>(n) * (n + 1) * kF64Unit / (1 - (n + 1) * kF64Unit);
  const double bound = (4 * kappa + std::sqrt(2.0) * kappa * kappa + kappa) * n_gamma;
  EXPECT_LE(relative, bound) << "kappa " << kappa;
  // Exact U with row r permuted differently, or L^-1 not flipped back, differs by O(1).
  EXPECT_LT(bound, 1e-3) << "the fixture is too ill-conditioned for this comparison to test anything";
  for (int64_t r = 0; r < n; ++r) {
    EXPECT_GT(f.factor[r * n + r], 0) << "diagonal of U must be positive (row " << r << ")";
    for (int64_t c = 0; c < r; ++c) ASSERT_EQ(f.factor[r * n + c], 0) << "F must be upper triangular";
  }
  std::printf("[ factor ] %s damp %.3g g%d: ||U - U_ref||_F / ||U_ref||_F = %.2e, bound %.2e (kappa %.3g)\n",
              act_order ? "act-order" : "natural  ", damp, group_size, relative, bound, kappa);
}

TEST(GptqFactor, SuperBlockFactorGivesReferenceThreeStepFactor) {
  expect_factor_matches_reference(/*act_order=*/true, 0.01, 128, 128);
  expect_factor_matches_reference(/*act_order=*/false, 0.01, 32, 128);
  expect_factor_matches_reference(/*act_order=*/true, 0.1, -1, 128);
  expect_factor_matches_reference(/*act_order=*/true, 0.01, 96, 256);
}

}  // namespace
}  // namespace qs
