#include "law/ablation.h"

#include <algorithm>
#include <cmath>

#include "law/distributions.h"
#include "law/robust_inference.h"

namespace qs::law {
namespace {

// The classical partial F-test, or with a robust covariance the Wald test of the added
// coefficient (the last column of the larger model).
NestedFTest added_factor_test(const OlsResult& previous, OlsResult& current, SeKind kind) {
  if (kind == SeKind::Classical) return nested_f_test(previous, current);
  apply_inference(current, kind);
  return wald_test(current, {current.p - 1});
}

// Cross-stratum covariance of two exponents by model: the scores the fits' own covariance used
// (CR2-adjusted, or CR1's raw ones with √(c_a c_b)), on the fit's working system (whitened
// under WLS and the binomial estimator).
double exponent_cross_covariance(const StratumFit& a, const std::vector<LawPoint>& pa, int ka, const StratumFit& b,
                                 const std::vector<LawPoint>& pb, int kb) {
  auto scores = [](const StratumFit& fit, const std::vector<LawPoint>& points) {
    const WorkingSystem system = working_system(fit, points);
    if (fit.ols.se_kind == SeKind::Cluster)
      return cr2_scores(fit.ols, system.x, system.residuals, model_of_points(points)).adjusted;
    return cluster_scores(system.x, system.residuals, model_of_points(points));
  };
  ClusterScores sa = scores(a, pa), sb = scores(b, pb);
  double factor = 1;
  if (a.ols.se_kind == SeKind::Cr1) {
    auto c = [](const OlsResult& o, size_t g) { return g / (g - 1.0) * (o.n - 1.0) / (o.n - o.p); };
    factor = std::sqrt(c(a.ols, sa.clusters.size()) * c(b.ols, sb.clusters.size()));
  }
  return cluster_cross_covariance(a.ols, sa, b.ols, sb, factor)[static_cast<size_t>(ka) * b.ols.p + kb];
}

}  // namespace

std::vector<AblationStep> nested_ablation(const StratumFit& fit, const std::vector<LawPoint>& points) {
  std::vector<AblationStep> steps;
  if (!fit.fitted) return steps;
  std::vector<Factor> order;  // the fit's factors in the paper's order N, B, G, Cb
  for (Factor f : all_factors())
    if (coefficient_index(fit, f) >= 0) order.push_back(f);
  size_t first = std::min<size_t>(2, order.size());  // the paper's base model f(N, B)
  OlsResult previous;
  for (size_t k = first; k <= order.size(); ++k) {
    if (k == 0) continue;
    AblationStep step;
    step.factors.assign(order.begin(), order.begin() + k);
    OlsResult current = fit_points(points, step.factors, fit.estimator, SeKind::Classical);
    step.r2 = current.r2;
    step.adj_r2 = current.adj_r2;
    if (!steps.empty()) {
      step.delta_r2 = current.r2 - previous.r2;
      step.has_test = true;
      step.test = added_factor_test(previous, current, fit.ols.se_kind);
    }
    steps.push_back(step);
    previous = std::move(current);
  }
  return steps;
}

std::vector<StrataDifference> strata_differences(const std::vector<StratumFit>& fits,
                                                 const std::vector<std::vector<LawPoint>>& points) {
  std::vector<StrataDifference> out;
  for (const ExponentPair& pair : comparable_exponents(fits)) {
    const OlsResult& a = fits[pair.a].ols;
    const OlsResult& b = fits[pair.b].ols;
    StrataDifference d;
    d.stratum_a = fits[pair.a].stratum;
    d.stratum_b = fits[pair.b].stratum;
    d.factor = pair.factor;
    double va = a.cov[static_cast<size_t>(pair.index_a) * a.p + pair.index_a];
    double vb = b.cov[static_cast<size_t>(pair.index_b) * b.p + pair.index_b];
    d.difference = a.coef[pair.index_a] - b.coef[pair.index_b];
    d.cluster_robust = clustered(a.se_kind) && a.se_kind == b.se_kind && pair.a < points.size() &&
                       pair.b < points.size();
    if (d.cluster_robust) {
      // Var(b_a − b_b) = Va + Vb − 2 Cov_ab, both strata's scores summed per shared model;
      // t(G − 1) with G the models of either stratum (the fewer, to stay conservative).
      double cab = exponent_cross_covariance(fits[pair.a], points[pair.a], pair.index_a, fits[pair.b],
                                             points[pair.b], pair.index_b);
      d.se = std::sqrt(std::max(0.0, va + vb - 2 * cab));
      d.df = std::min(a.df_coef[pair.index_a], b.df_coef[pair.index_b]);  // the fewer, conservative
    } else {
      d.se = std::sqrt(va + vb);
      // Welch–Satterthwaite degrees of freedom.
      d.df = (va + vb) * (va + vb) / (va * va / a.df_inference + vb * vb / b.df_inference);
    }
    d.t = d.difference / d.se;
    d.p_value = student_t_two_sided_p(d.t, d.df);
    out.push_back(d);
  }
  return out;
}

}  // namespace qs::law
