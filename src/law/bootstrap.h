#pragma once
// Cluster bootstrap by model (points of one model are correlated: same weights, same
// quantization run): resample whole models with replacement, refit every stratum on the same
// resample, take percentile intervals of the exponents. Using one resample for all strata
// keeps the strata's dependence, so differences such as β_L3 − β_L1 get an honest interval
// and p-value too. Deterministic for a given seed.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "law/law_fit.h"

namespace qs::law {

struct PercentileInterval {
  double low = 0, high = 0;
  int replicates = 0;  // resamples where the fit was identifiable
};

struct BootstrapDifference {
  std::string stratum_a, stratum_b;
  Factor factor = Factor::B;
  double estimate = 0;  // coef_a − coef_b on the data
  PercentileInterval interval;
  double p_value = 1;   // 2·min(P(d* <= 0), P(d* >= 0))
};

struct BootstrapResult {
  int replicates = 0;
  uint64_t seed = 0;
  int models = 0;
  std::map<std::string, std::map<Factor, PercentileInterval>> exponents;  // stratum -> factor -> CI
  std::vector<BootstrapDifference> differences;
  std::vector<std::string> messages;
};

// `points[i]` are the usable points of `fits[i]`. Strata whose fit is missing are skipped;
// with fewer than 3 distinct models nothing is resampled (message).
BootstrapResult cluster_bootstrap(const std::vector<StratumFit>& fits, const std::vector<std::vector<LawPoint>>& points,
                                  int replicates, uint64_t seed, double confidence = 0.95);

}  // namespace qs::law
