#include "law/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "core/progress.h"

namespace qs::law {
namespace {

// Percentile of sorted values (linear interpolation between order statistics).
double percentile(const std::vector<double>& sorted, double q) {
  double position = q * (sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(position));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (position - lo) * (sorted[hi] - sorted[lo]);
}

PercentileInterval interval_of(std::vector<double> values, double confidence) {
  PercentileInterval ci;
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }), values.end());
  ci.replicates = static_cast<int>(values.size());
  if (values.empty()) return ci;
  std::sort(values.begin(), values.end());
  ci.low = percentile(values, (1 - confidence) / 2);
  ci.high = percentile(values, (1 + confidence) / 2);
  return ci;
}

}  // namespace

BootstrapResult cluster_bootstrap(const std::vector<StratumFit>& fits, const std::vector<std::vector<LawPoint>>& points,
                                  int replicates, uint64_t seed, double confidence) {
  BootstrapResult result;
  result.seed = seed;
  std::set<std::string> model_set;
  for (size_t s = 0; s < fits.size(); ++s)
    if (fits[s].fitted)
      for (const auto& p : points[s]) model_set.insert(p.model);
  std::vector<std::string> models(model_set.begin(), model_set.end());
  result.models = static_cast<int>(models.size());
  if (replicates <= 0) return result;
  if (models.size() < 3) {
    result.messages.push_back("cluster bootstrap skipped: needs at least 3 models, the data has " +
                              std::to_string(models.size()));
    return result;
  }
  result.replicates = replicates;
  // Per stratum, per model: the indices of its points.
  std::vector<std::vector<std::vector<size_t>>> by_model(fits.size(), std::vector<std::vector<size_t>>(models.size()));
  for (size_t s = 0; s < fits.size(); ++s)
    for (size_t i = 0; i < points[s].size(); ++i) {
      size_t m = std::lower_bound(models.begin(), models.end(), points[s][i].model) - models.begin();
      by_model[s][m].push_back(i);
    }
  // draws[s][k][r]: coefficient k of stratum s in resample r (NaN when not identifiable).
  std::vector<std::vector<std::vector<double>>> draws(fits.size());
  for (size_t s = 0; s < fits.size(); ++s)
    draws[s].assign(fits[s].factors.size() + 1, std::vector<double>(replicates, NAN));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, models.size() - 1);
  Progress progress("bootstrap", replicates, "resamples");
  std::vector<LawPoint> sample;
  std::vector<double> coef;
  for (int r = 0; r < replicates; ++r) {
    std::vector<size_t> chosen(models.size());
    for (auto& c : chosen) c = pick(rng);
    for (size_t s = 0; s < fits.size(); ++s) {
      if (!fits[s].fitted) continue;
      sample.clear();
      for (size_t m : chosen)
        for (size_t i : by_model[s][m]) sample.push_back(points[s][i]);
      // The same estimator as the fit.
      if (!fit_coefficients(sample, fits[s].factors, fits[s].estimator, coef)) continue;
      for (size_t k = 0; k < coef.size(); ++k) draws[s][k][r] = coef[k];
    }
    progress.advance();
  }
  progress.finish();
  for (size_t s = 0; s < fits.size(); ++s) {
    if (!fits[s].fitted) continue;
    for (size_t k = 0; k < fits[s].factors.size(); ++k)
      result.exponents[fits[s].stratum][fits[s].factors[k]] = interval_of(draws[s][k + 1], confidence);
  }
  for (const ExponentPair& pair : comparable_exponents(fits)) {
    BootstrapDifference d;
    d.stratum_a = fits[pair.a].stratum;
    d.stratum_b = fits[pair.b].stratum;
    d.factor = pair.factor;
    d.estimate = fits[pair.a].ols.coef[pair.index_a] - fits[pair.b].ols.coef[pair.index_b];
    std::vector<double> diff;
    int below = 0, above = 0;
    for (int r = 0; r < replicates; ++r) {
      double v = draws[pair.a][pair.index_a][r] - draws[pair.b][pair.index_b][r];
      if (std::isnan(v)) continue;
      diff.push_back(v);
      below += v <= 0;
      above += v >= 0;
    }
    d.interval = interval_of(diff, confidence);
    if (!diff.empty()) d.p_value = std::min(1.0, 2.0 * std::min(below, above) / static_cast<double>(diff.size()));
    result.differences.push_back(d);
  }
  return result;
}

}  // namespace qs::law
