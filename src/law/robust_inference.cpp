#include "law/robust_inference.h"

#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "law/distributions.h"

namespace qs::law {
namespace {

// c = G/(G−1) · (n−1)/(n−p): statsmodels' default small-sample correction for clusters.
double cr1_factor(const OlsResult& fit, int clusters) {
  return static_cast<double>(clusters) / (clusters - 1) * (fit.n - 1.0) / (fit.n - fit.p);
}

// A (p×q) · M (q×q) · Bᵀ (r×q) for row-major matrices.
std::vector<double> sandwich(const std::vector<double>& a, const std::vector<double>& meat, const std::vector<double>& b,
                             int p, int q, int r) {
  std::vector<double> am(static_cast<size_t>(p) * q, 0.0), out(static_cast<size_t>(p) * r, 0.0);
  for (int i = 0; i < p; ++i)
    for (int k = 0; k < q; ++k)
      for (int l = 0; l < q; ++l) am[static_cast<size_t>(i) * q + l] += a[static_cast<size_t>(i) * q + k] * meat[static_cast<size_t>(k) * q + l];
  for (int i = 0; i < p; ++i)
    for (int j = 0; j < r; ++j)
      for (int l = 0; l < q; ++l) out[static_cast<size_t>(i) * r + j] += am[static_cast<size_t>(i) * q + l] * b[static_cast<size_t>(j) * q + l];
  return out;
}

}  // namespace

std::string se_kind_name(SeKind kind) {
  switch (kind) {
    case SeKind::Classical: return "classical";
    case SeKind::HC3: return "hc3";
    case SeKind::Cluster: return "cluster";
    case SeKind::Cr1: return "cr1";
  }
  return "?";
}

SeKind parse_se_kind(const std::string& text) {
  if (text == "classical") return SeKind::Classical;
  if (text == "hc3") return SeKind::HC3;
  if (text == "cluster") return SeKind::Cluster;
  if (text == "cr1") return SeKind::Cr1;
  throw Error("--se", "must be cluster, cr1, hc3 or classical, got '" + text + "'");
}

ClusterScores cluster_scores(const Design& x, const std::vector<double>& residuals,
                             const std::vector<std::string>& cluster_of_row) {
  require(static_cast<int>(cluster_of_row.size()) == x.rows && static_cast<int>(residuals.size()) == x.rows,
          "cluster_scores", "cluster labels or residuals differ in length from the design rows");
  std::map<std::string, std::vector<double>> sums;
  for (int r = 0; r < x.rows; ++r) {
    auto& s = sums[cluster_of_row[r]];
    s.resize(x.cols, 0.0);
    for (int c = 0; c < x.cols; ++c) s[c] += x.at(r, c) * residuals[r];
  }
  ClusterScores out;
  for (const auto& [name, s] : sums) {
    out.clusters.push_back(name);
    out.scores.insert(out.scores.end(), s.begin(), s.end());
  }
  return out;
}

std::vector<double> cluster_cross_covariance(const OlsResult& a, const ClusterScores& sa, const OlsResult& b,
                                             const ClusterScores& sb, double factor) {
  const int pa = a.p, pb = b.p;
  // Σ_g s_ag s_bgᵀ over the clusters both fits have (a model absent from one stratum adds 0).
  std::vector<double> meat(static_cast<size_t>(pa) * pb, 0.0);
  for (size_t ga = 0; ga < sa.clusters.size(); ++ga) {
    auto it = std::find(sb.clusters.begin(), sb.clusters.end(), sa.clusters[ga]);
    if (it == sb.clusters.end()) continue;
    size_t gb = it - sb.clusters.begin();
    for (int i = 0; i < pa; ++i)
      for (int j = 0; j < pb; ++j)
        meat[static_cast<size_t>(i) * pb + j] += sa.scores[ga * pa + i] * sb.scores[gb * pb + j];
  }
  std::vector<double> left(static_cast<size_t>(pa) * pb, 0.0), out(static_cast<size_t>(pa) * pb, 0.0);
  for (int i = 0; i < pa; ++i)
    for (int k = 0; k < pa; ++k)
      for (int j = 0; j < pb; ++j) left[static_cast<size_t>(i) * pb + j] += a.xtx_inv[static_cast<size_t>(i) * pa + k] * meat[static_cast<size_t>(k) * pb + j];
  for (int i = 0; i < pa; ++i)
    for (int k = 0; k < pb; ++k)
      for (int j = 0; j < pb; ++j) out[static_cast<size_t>(i) * pb + j] += left[static_cast<size_t>(i) * pb + k] * b.xtx_inv[static_cast<size_t>(k) * pb + j];
  for (double& v : out) v *= factor;
  return out;
}

namespace {

// A_g = (I − H_gg)^(−1/2) without forming n_g × n_g matrices: X_g = U S Vᵀ (thin SVD, rank r),
// H_gg = U (S Vᵀ M V S) Uᵀ = Q Λ Qᵀ with Q = U W (W, Λ: eigen of the r × r middle), so
// A_g v = v + Q diag((1 − λ)^(−1/2) − 1) Qᵀ v; a direction with 1 − λ ≈ 0 (one cluster alone
// fixes a coefficient) gets the pseudo-inverse root 0, i.e. factor −1. O(n_g p²) per cluster.
struct ClusterAdjustment {
  std::vector<int> rows;
  int rank = 0;
  std::vector<double> q;       // n_g × rank, row-major
  std::vector<double> factor;  // (1 − λ)^(−1/2) − 1 per direction

  std::vector<double> apply(const std::vector<double>& v) const {
    const int ng = static_cast<int>(rows.size());
    std::vector<double> out = v;
    for (int k = 0; k < rank; ++k) {
      double dot = 0;
      for (int r = 0; r < ng; ++r) dot += q[static_cast<size_t>(r) * rank + k] * v[r];
      for (int r = 0; r < ng; ++r) out[r] += q[static_cast<size_t>(r) * rank + k] * factor[k] * dot;
    }
    return out;
  }
};

ClusterAdjustment adjustment_for(const Design& x, const std::vector<double>& m, const std::vector<int>& rows,
                                 const std::string& name) {
  const int p = x.cols, ng = static_cast<int>(rows.size()), kmin = std::min(ng, p);
  std::vector<double> xg(static_cast<size_t>(ng) * p);  // column-major
  for (int r = 0; r < ng; ++r)
    for (int c = 0; c < p; ++c) xg[static_cast<size_t>(c) * ng + r] = x.at(rows[r], c);
  std::vector<double> s(kmin), u(static_cast<size_t>(ng) * kmin), vt(static_cast<size_t>(kmin) * p),
      superb(std::max(1, kmin));
  require(LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'S', 'S', ng, p, xg.data(), ng, s.data(), u.data(), ng, vt.data(), kmin,
                         superb.data()) == 0,
          "CR2", "SVD of the design rows of model " + name + " failed");
  ClusterAdjustment out;
  out.rows = rows;
  while (out.rank < kmin && s[out.rank] > 1e-12 * s[0]) ++out.rank;
  const int r = out.rank;
  // Middle = S Vᵀ M V S (r × r): (Vᵀ M V)_ij · s_i s_j, Vᵀ rows from vt (column-major kmin × p).
  std::vector<double> middle(static_cast<size_t>(r) * r, 0.0);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < r; ++j) {
      double v = 0;
      for (int a = 0; a < p; ++a)
        for (int b = 0; b < p; ++b)
          v += vt[static_cast<size_t>(a) * kmin + i] * m[static_cast<size_t>(a) * p + b] * vt[static_cast<size_t>(b) * kmin + j];
      middle[static_cast<size_t>(i) * r + j] = v * s[i] * s[j];
    }
  std::vector<double> lambda(r);
  if (r > 0)
    require(LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', r, middle.data(), r, lambda.data()) == 0, "CR2",
            "eigen-decomposition for model " + name + " failed");
  out.q.assign(static_cast<size_t>(ng) * r, 0.0);
  for (int row = 0; row < ng; ++row)
    for (int k = 0; k < r; ++k)
      for (int i = 0; i < r; ++i)
        out.q[static_cast<size_t>(row) * r + k] += u[static_cast<size_t>(i) * ng + row] * middle[static_cast<size_t>(i) * r + k];
  for (int k = 0; k < r; ++k) {
    double rest = 1 - lambda[k];
    out.factor.push_back(rest > 1e-10 ? 1 / std::sqrt(rest) - 1 : -1.0);
  }
  return out;
}

}  // namespace

Cr2Scores cr2_scores(const OlsResult& fit, const Design& x, const std::vector<double>& residuals,
                     const std::vector<std::string>& cluster_of_row) {
  const int p = x.cols, n = x.rows;
  std::map<std::string, std::vector<int>> rows_of;
  for (int r = 0; r < n; ++r) rows_of[cluster_of_row[r]].push_back(r);
  const auto& m = fit.xtx_inv;
  Cr2Scores out;
  std::vector<ClusterAdjustment> adjustments;
  for (const auto& [name, rows] : rows_of) {
    adjustments.push_back(adjustment_for(x, m, rows, name));
    const ClusterAdjustment& a = adjustments.back();
    std::vector<double> e(rows.size());
    for (size_t r = 0; r < rows.size(); ++r) e[r] = residuals[rows[r]];
    std::vector<double> ae = a.apply(e), u(p, 0.0);  // u_g = X_gᵀ A_g e_g
    for (int k = 0; k < p; ++k)
      for (size_t r = 0; r < rows.size(); ++r) u[k] += x.at(rows[r], k) * ae[r];
    out.adjusted.clusters.push_back(name);
    out.adjusted.scores.insert(out.adjusted.scores.end(), u.begin(), u.end());
  }
  // Bell–McCaffrey df of coefficient j: columns g of G_mat = (I − H)_{·,g} a_g, a_g = A_g X_g M e_j;
  // (I − H)_{·,g} a = [a on g's rows] − X (M X_gᵀ a).
  const int g_count = static_cast<int>(adjustments.size());
  for (int j = 0; j < p; ++j) {
    std::vector<std::vector<double>> columns;
    for (const ClusterAdjustment& a : adjustments) {
      const int ng = static_cast<int>(a.rows.size());
      std::vector<double> xmc(ng, 0.0);
      for (int r = 0; r < ng; ++r)
        for (int k = 0; k < p; ++k) xmc[r] += x.at(a.rows[r], k) * m[static_cast<size_t>(k) * p + j];
      std::vector<double> ag = a.apply(xmc), xta(p, 0.0), mxa(p, 0.0), column(n, 0.0);
      for (int k = 0; k < p; ++k)
        for (int r = 0; r < ng; ++r) xta[k] += x.at(a.rows[r], k) * ag[r];
      for (int i = 0; i < p; ++i)
        for (int k = 0; k < p; ++k) mxa[i] += m[static_cast<size_t>(i) * p + k] * xta[k];
      for (int r = 0; r < n; ++r) {
        double v = 0;
        for (int k = 0; k < p; ++k) v += x.at(r, k) * mxa[k];
        column[r] = -v;
      }
      for (int r = 0; r < ng; ++r) column[a.rows[r]] += ag[r];
      columns.push_back(std::move(column));
    }
    double trace = 0, trace_sq = 0;
    for (int g = 0; g < g_count; ++g)
      for (int h = 0; h < g_count; ++h) {
        double dot = 0;
        for (int r = 0; r < n; ++r) dot += columns[g][r] * columns[h][r];
        if (g == h) trace += dot;
        trace_sq += dot * dot;
      }
    out.df.push_back(trace_sq > 0 ? trace * trace / trace_sq : NAN);
  }
  return out;
}

std::vector<double> cr1_covariance(const OlsResult& fit, const ClusterScores& scores) {
  const int p = fit.p, g_count = static_cast<int>(scores.clusters.size());
  require(g_count >= 2, "cluster-robust covariance", "needs at least 2 models, the data has " + std::to_string(g_count));
  std::vector<double> meat(static_cast<size_t>(p) * p, 0.0);
  for (int g = 0; g < g_count; ++g)
    for (int i = 0; i < p; ++i)
      for (int j = 0; j < p; ++j) meat[static_cast<size_t>(i) * p + j] += scores.scores[static_cast<size_t>(g) * p + i] * scores.scores[static_cast<size_t>(g) * p + j];
  auto v = sandwich(fit.xtx_inv, meat, fit.xtx_inv, p, p, p);
  double c = cr1_factor(fit, g_count);
  for (double& x : v) x *= c;
  return v;
}

void add_cluster_covariance(OlsResult& fit, const Design& x, const std::vector<std::string>& cluster_of_row) {
  ClusterScores scores = cluster_scores(x, fit.residuals, cluster_of_row);
  fit.clusters = static_cast<int>(scores.clusters.size());
  if (fit.clusters < 2) return;
  fit.cov_cr1 = cr1_covariance(fit, scores);
  Cr2Scores cr2 = cr2_scores(fit, x, fit.residuals, cluster_of_row);
  fit.cov_cluster = cluster_cross_covariance(fit, cr2.adjusted, fit, cr2.adjusted);
  fit.df_cluster = cr2.df;
}

void apply_inference(OlsResult& fit, SeKind kind, double confidence) {
  const int p = fit.p;
  std::vector<double> cov;
  fit.df_coef.assign(p, fit.df_resid);
  if (kind == SeKind::Classical) {
    cov = fit.xtx_inv;
    for (double& v : cov) v *= fit.sigma2;
  } else if (kind == SeKind::HC3) {
    cov = fit.cov_hc3;
  } else {
    require(fit.clusters >= 2 && fit.cov_cluster.size() == static_cast<size_t>(p) * p, "cluster-robust inference",
            "needs at least 2 models, the data has " + std::to_string(fit.clusters));
    cov = kind == SeKind::Cr1 ? fit.cov_cr1 : fit.cov_cluster;
    if (kind == SeKind::Cr1) fit.df_coef.assign(p, fit.clusters - 1);
    else fit.df_coef = fit.df_cluster;
  }
  fit.cov = std::move(cov);
  fit.df_inference = *std::min_element(fit.df_coef.begin(), fit.df_coef.end());
  fit.se_kind = kind;
  fit.se.clear(), fit.t.clear(), fit.p_value.clear(), fit.ci_low.clear(), fit.ci_high.clear();
  for (int i = 0; i < p; ++i) {
    double se = std::sqrt(fit.cov[static_cast<size_t>(i) * p + i]);
    double t_crit = student_t_quantile(0.5 + confidence / 2, fit.df_coef[i]);
    fit.se.push_back(se);
    fit.t.push_back(fit.coef[i] / se);
    fit.p_value.push_back(student_t_two_sided_p(fit.t.back(), fit.df_coef[i]));
    fit.ci_low.push_back(fit.coef[i] - t_crit * se);
    fit.ci_high.push_back(fit.coef[i] + t_crit * se);
  }
}

NestedFTest wald_test(const OlsResult& fit, const std::vector<int>& indices) {
  const int q = static_cast<int>(indices.size());
  require(q > 0, "wald_test", "no coefficients to test");
  std::vector<double> v(static_cast<size_t>(q) * q), b(q);
  for (int i = 0; i < q; ++i) {
    b[i] = fit.coef[indices[i]];
    for (int j = 0; j < q; ++j) v[static_cast<size_t>(i) * q + j] = fit.cov[static_cast<size_t>(indices[i]) * fit.p + indices[j]];
  }
  // Solve V z = b by Cholesky; W = bᵀ z.
  std::vector<double> z = b;
  int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', q, 1, v.data(), q, z.data(), 1);
  require(info == 0, "wald_test", "the covariance of the tested coefficients is not positive definite (too few models?)");
  double w = 0;
  for (int i = 0; i < q; ++i) w += b[i] * z[i];
  double df = INFINITY;
  for (int i : indices) df = std::min(df, fit.df_coef.empty() ? fit.df_inference : fit.df_coef[i]);
  NestedFTest test;
  test.df_num = q;
  test.df_den = static_cast<int>(std::lround(df));
  test.f = w / q;
  test.p_value = f_survival(test.f, q, df);
  return test;
}

}  // namespace qs::law
