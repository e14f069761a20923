#pragma once
// The paper's ablation and the between-strata tests:
// - nested models f(N,B) → +G → +Cb (only factors in the stratum's fit, in that order), each
//   fitted on the same rows, with ΔR² and the partial F-test against the previous model;
// - differences of one exponent between two strata (β_L3 − β_L1 …): Welch-style t on the
//   independent per-stratum fits, t = (b_a − b_b)/√(se_a² + se_b²) with Welch–Satterthwaite
//   df. The strata share models and configurations, so this treats correlated estimates as
//   independent; the cluster bootstrap (bootstrap.h) gives the dependence-aware p-value.
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
};

// Every pair of fitted L-strata (General and L0 excluded) and every factor both fits contain.
std::vector<StrataDifference> strata_differences(const std::vector<StratumFit>& fits);

}  // namespace qs::law
