#include "law/ols.h"

#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/error.h"
#include "law/distributions.h"

namespace qs::law {
namespace {

constexpr double kRankTolerance = 1e-12;

// Column-major copy of a row-major block (LAPACK's native layout).
std::vector<double> column_major(const Design& x) {
  std::vector<double> a(static_cast<size_t>(x.rows) * x.cols);
  for (int r = 0; r < x.rows; ++r)
    for (int c = 0; c < x.cols; ++c) a[static_cast<size_t>(c) * x.rows + r] = x.at(r, c);
  return a;
}

std::vector<double> singular_values(std::vector<double> a, int rows, int cols) {
  std::vector<double> s(std::min(rows, cols)), superb(std::max(1, std::min(rows, cols)));
  int info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'N', 'N', rows, cols, a.data(), rows, s.data(), nullptr, 1, nullptr, 1,
                            superb.data());
  require(info == 0, "ols", "SVD did not converge (LAPACK info " + std::to_string(info) + ")");
  return s;
}

// √(λmax/λmin) of the correlation matrix of columns 1.. (the intercept excluded): the
// collinearity among the factors themselves, independent of their units and offsets.
double collinearity_condition(const Design& x) {
  int k = x.cols - 1;
  if (k < 2) return 1;
  std::vector<double> z(static_cast<size_t>(x.rows) * k);
  for (int c = 1; c < x.cols; ++c) {
    double mean = 0, ss = 0;
    for (int r = 0; r < x.rows; ++r) mean += x.at(r, c);
    mean /= x.rows;
    for (int r = 0; r < x.rows; ++r) ss += (x.at(r, c) - mean) * (x.at(r, c) - mean);
    double scale = ss > 0 ? 1 / std::sqrt(ss) : 0;
    for (int r = 0; r < x.rows; ++r) z[static_cast<size_t>(c - 1) * x.rows + r] = (x.at(r, c) - mean) * scale;
  }
  auto s = singular_values(std::move(z), x.rows, k);
  return s.back() > 0 ? s.front() / s.back() : INFINITY;
}

}  // namespace

double inverse_condition(const Design& x) {
  auto s = singular_values(column_major(x), x.rows, x.cols);
  return s.front() > 0 ? s.back() / s.front() : 0;
}

namespace {

// The least-squares solve both fits share: X = QR (Householder, dgeqrf), b = R⁻¹ Qᵀ y (dormqr,
// dtrtrs). `a` keeps the factorization (column-major n x p: R in the upper triangle, the
// reflectors below, with `tau`) for R⁻¹ and the thin Q. std::nullopt when a LAPACK step fails or,
// with check_rank, a diagonal of R is not above kRankTolerance x the largest (rank-deficient X).
struct QrSolve {
  std::vector<double> a, tau, coef;
};

std::optional<QrSolve> qr_solve(const Design& x, const std::vector<double>& y, bool check_rank) {
  const int n = x.rows, p = x.cols;
  QrSolve s{column_major(x), std::vector<double>(p), {}};
  std::vector<double> qty(y);
  if (LAPACKE_dgeqrf(LAPACK_COL_MAJOR, n, p, s.a.data(), n, s.tau.data()) != 0) return std::nullopt;
  if (check_rank) {
    double max_diag = 0;
    for (int i = 0; i < p; ++i) max_diag = std::max(max_diag, std::fabs(s.a[static_cast<size_t>(i) * n + i]));
    for (int i = 0; i < p; ++i)
      if (!(std::fabs(s.a[static_cast<size_t>(i) * n + i]) > kRankTolerance * max_diag)) return std::nullopt;
  }
  if (LAPACKE_dormqr(LAPACK_COL_MAJOR, 'L', 'T', n, 1, p, s.a.data(), n, s.tau.data(), qty.data(), n) != 0)
    return std::nullopt;
  if (LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'U', 'N', 'N', p, 1, s.a.data(), n, qty.data(), n) != 0) return std::nullopt;
  s.coef.assign(qty.begin(), qty.begin() + p);
  return s;
}

}  // namespace

std::vector<double> design_times(const Design& x, const std::vector<double>& b) {
  std::vector<double> product(static_cast<size_t>(x.rows), 0.0);
  for (int r = 0; r < x.rows; ++r)
    for (int c = 0; c < x.cols; ++c) product[r] += x.at(r, c) * b[c];
  return product;
}

bool ols_coefficients(const Design& x, const std::vector<double>& y, std::vector<double>& coef) {
  if (x.rows <= x.cols) return false;
  std::optional<QrSolve> s = qr_solve(x, y, /*check_rank=*/true);
  if (!s) return false;
  coef = std::move(s->coef);
  return true;
}

OlsResult ols_fit(const Design& x, const std::vector<double>& y, double confidence, bool has_intercept) {
  const int n = x.rows, p = x.cols;
  require(static_cast<int>(y.size()) == n, "ols", "response length differs from design rows");
  require(n > p, "ols", std::to_string(n) + " observations for " + std::to_string(p) +
                            " coefficients: need more observations than coefficients");
  OlsResult out;
  out.n = n;
  out.p = p;
  out.df_resid = n - p;
  out.df_inference = out.df_resid;
  out.names = x.names;

  auto sv = singular_values(column_major(x), n, p);
  require(sv.front() > 0 && sv.back() / sv.front() >= kRankTolerance, "ols",
          "design matrix is rank-deficient (a factor is constant or a combination of others)");
  out.condition_number = sv.front() / sv.back();
  out.collinearity_condition_number = has_intercept ? collinearity_condition(x) : out.condition_number;

  // X = QR; b = R⁻¹ Qᵀ y (the rank was checked on the singular values above).
  std::optional<QrSolve> solved = qr_solve(x, y, /*check_rank=*/false);
  require(solved.has_value(), "ols", "QR least-squares solve failed");
  std::vector<double>& a = solved->a;
  const std::vector<double>& tau = solved->tau;
  out.coef = std::move(solved->coef);
  std::vector<double> r_inv(static_cast<size_t>(p) * p, 0.0);  // column-major upper triangle
  for (int c = 0; c < p; ++c)
    for (int r = 0; r <= c; ++r) r_inv[static_cast<size_t>(c) * p + r] = a[static_cast<size_t>(c) * n + r];
  require(LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'U', 'N', p, r_inv.data(), p) == 0, "ols", "R is singular");
  // Thin Q for the leverages h_i = Σ_j Q_ij².
  require(LAPACKE_dorgqr(LAPACK_COL_MAJOR, n, p, p, a.data(), n, tau.data()) == 0, "ols", "forming Q failed");

  out.fitted.resize(n);
  out.residuals.resize(n);
  out.leverage.assign(n, 0.0);
  double mean_y = 0;
  for (double v : y) mean_y += v;
  mean_y /= n;
  out.fitted = design_times(x, out.coef);
  for (int r = 0; r < n; ++r) {
    out.residuals[r] = y[r] - out.fitted[r];
    out.rss += out.residuals[r] * out.residuals[r];
    out.tss += has_intercept ? (y[r] - mean_y) * (y[r] - mean_y) : y[r] * y[r];
    for (int c = 0; c < p; ++c) out.leverage[r] += a[static_cast<size_t>(c) * n + r] * a[static_cast<size_t>(c) * n + r];
  }
  out.sigma2 = out.rss / out.df_resid;
  out.residual_se = std::sqrt(out.sigma2);
  out.r2 = 1 - out.rss / out.tss;
  int df_model = has_intercept ? p - 1 : p;
  double df_total = has_intercept ? n - 1 : n;
  out.adj_r2 = 1 - df_total / out.df_resid * (1 - out.r2);
  if (df_model > 0) {
    out.f_statistic = ((out.tss - out.rss) / df_model) / out.sigma2;
    out.f_p_value = f_survival(out.f_statistic, df_model, out.df_resid);
  }

  // (XᵀX)⁻¹ = R⁻¹R⁻ᵀ; HC3 = R⁻¹ (Qᵀ diag(e²/(1-h)²) Q) R⁻ᵀ.
  auto rinv = [&](int i, int j) { return j >= i ? r_inv[static_cast<size_t>(j) * p + i] : 0.0; };
  std::vector<double> meat(static_cast<size_t>(p) * p, 0.0);
  for (int r = 0; r < n; ++r) {
    double w = out.residuals[r] / (1 - out.leverage[r]);
    w *= w;
    for (int i = 0; i < p; ++i)
      for (int j = 0; j < p; ++j)
        meat[static_cast<size_t>(i) * p + j] += a[static_cast<size_t>(i) * n + r] * w * a[static_cast<size_t>(j) * n + r];
  }
  out.cov.assign(static_cast<size_t>(p) * p, 0.0);
  out.cov_hc3.assign(static_cast<size_t>(p) * p, 0.0);
  out.xtx_inv.assign(static_cast<size_t>(p) * p, 0.0);
  for (int i = 0; i < p; ++i)
    for (int j = 0; j < p; ++j) {
      double unscaled = 0, hc3 = 0;
      for (int k = 0; k < p; ++k) {
        unscaled += rinv(i, k) * rinv(j, k);
        for (int l = 0; l < p; ++l) hc3 += rinv(i, k) * meat[static_cast<size_t>(k) * p + l] * rinv(j, l);
      }
      out.xtx_inv[static_cast<size_t>(i) * p + j] = unscaled;
      out.cov[static_cast<size_t>(i) * p + j] = unscaled * out.sigma2;
      out.cov_hc3[static_cast<size_t>(i) * p + j] = hc3;
    }

  double t_crit = student_t_quantile(0.5 + confidence / 2, out.df_resid);
  for (int i = 0; i < p; ++i) {
    double se = std::sqrt(out.cov[static_cast<size_t>(i) * p + i]);
    out.se.push_back(se);
    out.se_classical.push_back(se);
    out.se_hc3.push_back(std::sqrt(out.cov_hc3[static_cast<size_t>(i) * p + i]));
    double t = out.coef[i] / se;
    out.t.push_back(t);
    out.p_value.push_back(student_t_two_sided_p(t, out.df_resid));
    out.ci_low.push_back(out.coef[i] - t_crit * se);
    out.ci_high.push_back(out.coef[i] + t_crit * se);
  }
  return out;
}

NestedFTest nested_f_test(const OlsResult& restricted, const OlsResult& full) {
  require(restricted.n == full.n, "nested_f_test", "models were fitted on different rows");
  NestedFTest test;
  test.df_num = full.p - restricted.p;
  test.df_den = full.df_resid;
  require(test.df_num > 0, "nested_f_test", "the full model must have more coefficients than the restricted one");
  test.f = ((restricted.rss - full.rss) / test.df_num) / (full.rss / test.df_den);
  test.p_value = f_survival(test.f, test.df_num, test.df_den);
  return test;
}

}  // namespace qs::law
