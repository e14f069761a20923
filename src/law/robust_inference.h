#pragma once
// Inference when points share a model. Every sweep point of one model carries that model's
// offset, so the ~1,000 rows of a stratum are G (number of models) clusters, not independent
// draws; classical and HC3 SEs then understate α's uncertainty several-fold (issue 15).
//
// Cluster-robust covariance by model. The default, CR2 (Bell & McCaffrey 2002; Imbens &
// Kolesár 2016, REStat 98(4)):
//   V = M (Σ_g u_g u_gᵀ) M,  M = (XᵀX)⁻¹,  u_g = X_gᵀ A_g e_g,  A_g = (I − H_gg)^(−1/2),
//   H_gg = X_g M X_gᵀ,
// with Bell–McCaffrey degrees of freedom per coefficient c (working model Ω = I):
//   G_mat column g = (I − H)_{·,g} A_g X_g M c,  df = tr(G_matᵀG_mat)² / tr((G_matᵀG_mat)²).
// CR1 (Cameron & Miller 2015, eq. 11; statsmodels cov_type='cluster', `--se cr1`):
//   V = c · M (Σ_g s_g s_gᵀ) M,  s_g = X_gᵀ e_g,  c = G/(G−1) · (n−1)/(n−p),  t(G−1).
// docs/law.md argues CR2 over CR1 (coverage of α on the paper's design: 0.85 with CR1).
#include <string>
#include <vector>

#include "law/ols.h"

namespace qs::law {

// Below this many models the cluster-robust variance of α has too few clusters to mean
// anything (G − 2 between-model residual df): α's interval is reported as not estimable.
constexpr int kMinModelsForAlpha = 4;

// Cluster or Cr1: inference by model rather than by point.
inline bool clustered(SeKind kind) { return kind == SeKind::Cluster || kind == SeKind::Cr1; }

std::string se_kind_name(SeKind kind);            // "classical", "hc3", "cluster", "cr1"
SeKind parse_se_kind(const std::string& text);    // throws qs::Error naming --se

// Σ_{i∈g} x_i e_i per cluster (G × p, row-major, clusters in sorted-name order).
struct ClusterScores {
  std::vector<std::string> clusters;
  std::vector<double> scores;
};
ClusterScores cluster_scores(const Design& x, const std::vector<double>& residuals,
                             const std::vector<std::string>& cluster_of_row);

// CR1 covariance of `fit` (needs fit.xtx_inv).
std::vector<double> cr1_covariance(const OlsResult& fit, const ClusterScores& scores);

// CR2: the adjusted scores u_g = X_gᵀ A_g e_g and the Bell–McCaffrey df of every coefficient.
struct Cr2Scores {
  ClusterScores adjusted;
  std::vector<double> df;
};
Cr2Scores cr2_scores(const OlsResult& fit, const Design& x, const std::vector<double>& residuals,
                     const std::vector<std::string>& cluster_of_row);

// M_a (Σ_g s_ag s_bgᵀ) M_b · factor over the clusters both fits have (rows: fit a's
// coefficients). With CR2-adjusted scores and factor 1 it is the CR2 cross-covariance of two
// fits sharing models; with a's own scores, its CR2 covariance.
std::vector<double> cluster_cross_covariance(const OlsResult& a, const ClusterScores& sa, const OlsResult& b,
                                             const ClusterScores& sb, double factor = 1);

// Stores CR2 (cov_cluster, df_cluster) and CR1 (cov_cr1) and fit.clusters, from the design
// and fit.residuals (whitened ones under WLS).
void add_cluster_covariance(OlsResult& fit, const Design& x, const std::vector<std::string>& cluster_of_row);

// Switches se, t, p_value, ci_low, ci_high, cov, df_coef and df_inference to `kind` (Cluster
// and Cr1 need add_cluster_covariance first). Throws qs::Error when that covariance is missing.
void apply_inference(OlsResult& fit, SeKind kind, double confidence = 0.95);

// Wald test of coefficients `indices` = 0 with fit.cov: F = bᵀ V⁻¹ b / q on (q, df), df the
// smallest df_coef of the tested coefficients.
// With the classical covariance it equals the partial F-test of the nested model.
NestedFTest wald_test(const OlsResult& fit, const std::vector<int>& indices);

}  // namespace qs::law
