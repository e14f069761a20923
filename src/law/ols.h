#pragma once
// Ordinary least squares y = X b + e with the inference the law reports: classical and HC3
// (MacKinnon–White 1985) standard errors, t, p, confidence intervals, R², adjusted R²,
// residual SE and condition numbers. Solved by Householder QR (LAPACK dgeqrf), never by
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

struct OlsResult {
  int n = 0, p = 0, df_resid = 0;
  std::vector<std::string> names;
  std::vector<double> coef, se, se_hc3, t, p_value, ci_low, ci_high;  // CIs from classical SEs
  std::vector<double> cov, cov_hc3;                                   // p × p, row-major
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
