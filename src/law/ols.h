#pragma once
// Ordinary least squares y = X b + e with the inference the law reports: classical and HC3
// (MacKinnon–White 1985) standard errors, t, p, confidence intervals, R², adjusted R²,
// residual SE and condition numbers (cluster-robust inference: robust_inference.h). Solved by Householder QR (LAPACK dgeqrf), never by
// forming XᵀX, so ill-conditioned designs lose as little precision as possible.
#include <string>
#include <vector>

namespace qs::law {

// A dense design matrix, row-major: rows = observations, cols = regressors (column 0 is
// normally the intercept, a column of ones).
struct Design {
  int rows = 0;
  int cols = 0;
  std::vector<double> values;      // rows × cols
  std::vector<std::string> names;  // one per column
  double at(int r, int c) const { return values[static_cast<size_t>(r) * cols + c]; }
};

// Which covariance the reported SEs, t, p, CIs and predictions use (robust_inference.h).
// Cluster: CR2 by model with Bell–McCaffrey df (the default); Cr1: statsmodels' cluster CR1.
enum class SeKind { Classical, HC3, Cluster, Cr1 };

struct OlsResult {
  int n = 0, p = 0, df_resid = 0;
  std::vector<std::string> names;
  // se, t, p_value, ci_low, ci_high and cov follow `se_kind` (classical as ols_fit returns them;
  // apply_inference switches them) with t(df_inference) critical values.
  SeKind se_kind = SeKind::Classical;
  double df_inference = 0;  // df_resid (classical, HC3), G − 1 (CR1), min of df_coef (CR2)
  std::vector<double> df_coef;  // per coefficient t df (all df_inference except under CR2)
  int clusters = 0;         // G, when a cluster-robust covariance was computed
  std::vector<double> coef, se, se_classical, se_hc3, t, p_value, ci_low, ci_high;
  std::vector<double> cov, cov_hc3, cov_cluster, cov_cr1;  // p × p, row-major; cluster = CR2
  std::vector<double> df_cluster;                          // Bell–McCaffrey df per coefficient
  std::vector<double> xtx_inv;                    // (XᵀX)⁻¹, p × p: the sandwich's bread
  std::vector<double> fitted, residuals, leverage;
  double rss = 0, tss = 0, r2 = 0, adj_r2 = 0, sigma2 = 0, residual_se = 0;
  double f_statistic = 0, f_p_value = 1;     // all slopes = 0 (needs an intercept in column 0)
  double condition_number = 0;               // σmax/σmin of X as given (statsmodels' condno)
  double collinearity_condition_number = 1;  // of the regressors' correlation matrix (√(λmax/λmin))
};

// Fits by QR. `has_intercept` makes R² centred (as statsmodels does for a model with a
// constant). Throws qs::Error when n <= p or X is numerically rank-deficient (σmin/σmax <
// 1e-12): callers drop non-varying or collinear factors first (see law_fit.h).
OlsResult ols_fit(const Design& x, const std::vector<double>& y, double confidence = 0.95, bool has_intercept = true);

// X b: one value per row (fitted values, linear predictors), summed over columns in order.
std::vector<double> design_times(const Design& x, const std::vector<double>& b);

// Coefficients only (for resampling); returns false instead of throwing when X is rank-deficient.
bool ols_coefficients(const Design& x, const std::vector<double>& y, std::vector<double>& coef);

// σmin/σmax of X (0 for an all-zero matrix): the numerical-rank test used above.
double inverse_condition(const Design& x);

// Partial F-test of a restricted model nested in a full one fitted on the same rows.
struct NestedFTest {
  double f = 0, p_value = 1;
  int df_num = 0, df_den = 0;
};
NestedFTest nested_f_test(const OlsResult& restricted, const OlsResult& full);

}  // namespace qs::law
