#include "law/ablation.h"

#include <algorithm>
#include <cmath>

#include "law/distributions.h"

namespace qs::law {

std::vector<AblationStep> nested_ablation(const StratumFit& fit, const std::vector<LawPoint>& points) {
  std::vector<AblationStep> steps;
  if (!fit.fitted) return steps;
  std::vector<Factor> order;  // the fit's factors in the paper's order N, B, G, Cb
  for (Factor f : all_factors())
    if (coefficient_index(fit, f) >= 0) order.push_back(f);
  std::vector<double> y;
  for (const auto& p : points) y.push_back(p.y);
  size_t first = std::min<size_t>(2, order.size());  // the paper's base model f(N, B)
  OlsResult previous;
  for (size_t k = first; k <= order.size(); ++k) {
    if (k == 0) continue;
    AblationStep step;
    step.factors.assign(order.begin(), order.begin() + k);
    OlsResult current = ols_fit(build_design(points, step.factors), y);
    step.r2 = current.r2;
    step.adj_r2 = current.adj_r2;
    if (!steps.empty()) {
      step.delta_r2 = current.r2 - previous.r2;
      step.has_test = true;
      step.test = nested_f_test(previous, current);
    }
    steps.push_back(step);
    previous = std::move(current);
  }
  return steps;
}

std::vector<StrataDifference> strata_differences(const std::vector<StratumFit>& fits) {
  std::vector<StrataDifference> out;
  auto comparable = [](const StratumFit& f) {
    return f.fitted && f.stratum != kGeneralStratum && f.stratum != kPerplexityStratum;
  };
  for (size_t a = 0; a < fits.size(); ++a)
    for (size_t b = a + 1; b < fits.size(); ++b) {
      if (!comparable(fits[a]) || !comparable(fits[b])) continue;
      for (Factor f : fits[a].factors) {
        int ka = coefficient_index(fits[a], f), kb = coefficient_index(fits[b], f);
        if (kb < 0) continue;
        StrataDifference d;
        d.stratum_a = fits[a].stratum;
        d.stratum_b = fits[b].stratum;
        d.factor = f;
        double va = fits[a].ols.se[ka] * fits[a].ols.se[ka], vb = fits[b].ols.se[kb] * fits[b].ols.se[kb];
        d.difference = fits[a].ols.coef[ka] - fits[b].ols.coef[kb];
        d.se = std::sqrt(va + vb);
        d.t = d.difference / d.se;
        // Welch–Satterthwaite degrees of freedom.
        d.df = (va + vb) * (va + vb) / (va * va / fits[a].ols.df_resid + vb * vb / fits[b].ols.df_resid);
        d.p_value = student_t_two_sided_p(d.t, d.df);
        out.push_back(d);
      }
    }
  return out;
}

}  // namespace qs::law
