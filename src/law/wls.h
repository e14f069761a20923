#pragma once
// Weighted least squares (statsmodels WLS): y = X b + e with Var(e_i) ∝ 1/w_i, solved as OLS
// on the whitened rows √w_i·x_i, √w_i·y_i. The law uses w_i = 1/se_y,i², se_y the delta-method
// standard error of y = ln(−ln Acc_adj) (law_data.h): the variance of y differs ~20-fold
// across a sweep's points, and OLS weighs a point at Acc_adj 0.99 like one at 0.5.
#include <vector>

#include "law/ols.h"

namespace qs::law {

struct WhitenedData {
  Design x;
  std::vector<double> y;
};
WhitenedData whiten(const Design& x, const std::vector<double>& y, const std::vector<double>& weights);

// After ols_fit (and any robust covariance) on the whitened data: fitted values and residuals
// back in y's units; R², adjusted R² and the overall F weighted-centred as statsmodels WLS
// (R² = 1 − Σ w e² / Σ w (y − ȳ_w)², ȳ_w the weighted mean). rss stays Σ w e² (statsmodels'
// ssr), so nested F-tests compare like with like.
void unwhiten(OlsResult& fit, const Design& x, const std::vector<double>& y, const std::vector<double>& weights);

}  // namespace qs::law
