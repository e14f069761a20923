#pragma once
// The paper's ablation and the between-strata tests:
// - nested models f(N,B) → +G → +Cb (only factors in the stratum's fit, in that order), each
//   fitted on the same rows, with ΔR² and a test of the added factor against the previous
//   model: the classical partial F-test, or (HC3, cluster — the fit's se_kind) the Wald test
//   F(1, df) of the added coefficient with that covariance;
// - differences of one exponent between two strata (β_L3 − β_L1 …). Cluster-robust (default):
//   t = (b_a − b_b)/√(V_a + V_b − 2 C_ab), C_ab the cross-covariance from both strata's
//   (CR2-adjusted) scores summed per shared model (robust_inference.h), on the smaller of the
//   two exponents' df. Classical/HC3: Welch t on
//   the per-stratum fits as if independent (they share models: the cluster bootstrap in
//   bootstrap.h is the dependence-aware check).
#include <string>
#include <vector>

#include "law/law_fit.h"

namespace qs::law {

struct AblationStep {
  std::vector<Factor> factors;
  double r2 = 0, adj_r2 = 0, delta_r2 = 0;  // ΔR² against the previous step (0 for the first)
  bool has_test = false;
  NestedFTest test;  // previous step (restricted) against this one
};

std::vector<AblationStep> nested_ablation(const StratumFit& fit, const std::vector<LawPoint>& points);

struct StrataDifference {
  std::string stratum_a, stratum_b;
  Factor factor = Factor::B;
  double difference = 0, se = 0, t = 0, df = 0, p_value = 1;
  bool cluster_robust = false;  // shared models accounted for (else Welch, as if independent)
};

// Every pair of fitted L-strata (General and L0 excluded) and every factor both fits contain.
// `points[i]` are the usable points of fits[i] (needed for the cluster-robust cross-covariance).
std::vector<StrataDifference> strata_differences(const std::vector<StratumFit>& fits,
                                                 const std::vector<std::vector<LawPoint>>& points);

}  // namespace qs::law
