#include "law/wls.h"

#include <cmath>

#include "core/error.h"
#include "law/distributions.h"

namespace qs::law {

WhitenedData whiten(const Design& x, const std::vector<double>& y, const std::vector<double>& weights) {
  require(static_cast<int>(weights.size()) == x.rows && static_cast<int>(y.size()) == x.rows, "wls",
          "weights or response differ in length from the design rows");
  WhitenedData out{x, y};
  for (int r = 0; r < x.rows; ++r) {
    require(weights[r] > 0 && std::isfinite(weights[r]), "wls", "row " + std::to_string(r) + " has no positive weight");
    double root = std::sqrt(weights[r]);
    for (int c = 0; c < x.cols; ++c) out.x.values[static_cast<size_t>(r) * x.cols + c] *= root;
    out.y[r] *= root;
  }
  return out;
}

void unwhiten(OlsResult& fit, const Design& x, const std::vector<double>& y, const std::vector<double>& weights) {
  double sum_w = 0, mean_w = 0;
  for (int r = 0; r < x.rows; ++r) sum_w += weights[r], mean_w += weights[r] * y[r];
  mean_w /= sum_w;
  fit.tss = 0;
  fit.fitted = design_times(x, fit.coef);
  for (int r = 0; r < x.rows; ++r) {
    fit.residuals[r] = y[r] - fit.fitted[r];
    fit.tss += weights[r] * (y[r] - mean_w) * (y[r] - mean_w);
  }
  fit.r2 = 1 - fit.rss / fit.tss;
  fit.adj_r2 = 1 - (fit.n - 1.0) / fit.df_resid * (1 - fit.r2);
  if (fit.p > 1) {
    fit.f_statistic = ((fit.tss - fit.rss) / (fit.p - 1)) / fit.sigma2;
    fit.f_p_value = f_survival(fit.f_statistic, fit.p - 1, fit.df_resid);
  }
}

}  // namespace qs::law
