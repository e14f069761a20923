#include "law/law_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/error.h"

namespace qs::law {
namespace {

constexpr double kCollinearTolerance = 1e-10;  // σmin/σmax below this: the new column adds nothing

std::string format_value(Factor factor, double value) {
  char buffer[64];
  if (factor == Factor::N) std::snprintf(buffer, sizeof buffer, "%.3g", value);
  else std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

std::string not_identifiable(Factor factor, size_t distinct_models, double value) {
  std::string what = exponent_symbol(factor) + " (" + factor_name(factor) + ") not identifiable: ";
  if (factor == Factor::N && distinct_models == 1) what += "one model only";
  else what += "only one value of " + factor_name(factor);
  return what + " (" + factor_name(factor) + " = " + format_value(factor, value) + "); left out of the fit";
}

}  // namespace

double factor_value(Factor factor, const LawPoint& point) {
  switch (factor) {
    case Factor::N: return point.n_params;
    case Factor::B: return point.bits;
    case Factor::G: return point.group_size;
    case Factor::Cb: return point.calib_samples;
  }
  return NAN;
}

Design build_design(const std::vector<LawPoint>& points, const std::vector<Factor>& factors) {
  Design d;
  d.rows = static_cast<int>(points.size());
  d.cols = 1 + static_cast<int>(factors.size());
  d.names.push_back("lnA");
  for (Factor f : factors) d.names.push_back(exponent_name(f));
  d.values.reserve(static_cast<size_t>(d.rows) * d.cols);
  for (const auto& p : points) {
    d.values.push_back(1.0);
    for (Factor f : factors) d.values.push_back(factor_regressor(f, p.n_params, p.bits, p.group_size, p.calib_samples));
  }
  return d;
}

int coefficient_index(const StratumFit& fit, Factor factor) {
  auto it = std::find(fit.factors.begin(), fit.factors.end(), factor);
  return it == fit.factors.end() ? -1 : 1 + static_cast<int>(it - fit.factors.begin());
}

StratumFit fit_stratum(const std::string& stratum, Response response, const std::vector<LawPoint>& points,
                       const std::vector<Factor>& requested) {
  StratumFit fit;
  fit.stratum = stratum;
  fit.response = response;
  fit.n_points = static_cast<int>(points.size());
  std::set<std::string> models;
  for (const auto& p : points) {
    models.insert(p.model);
    fit.task_acc_rand[p.task] = p.acc_rand;
  }
  fit.models.assign(models.begin(), models.end());
  if (fit.n_points < kMinUsablePoints) {
    fit.messages.push_back(std::to_string(fit.n_points) + " usable point(s), fewer than " +
                           std::to_string(kMinUsablePoints) + ": nothing can be estimated" +
                           (fit.n_points == 0 ? " (all points excluded or none measured; see exclusions)" : ""));
    return fit;
  }
  // Keep factors that vary, then those that add rank to what is already in.
  std::vector<Factor> kept;
  for (Factor f : requested) {
    std::set<double> values;
    for (const auto& p : points) values.insert(factor_value(f, p));
    fit.ranges[f] = {*values.begin(), *values.rbegin()};
    if (values.size() < 2) {
      fit.held_constant[f] = *values.begin();
      fit.messages.push_back(not_identifiable(f, models.size(), *values.begin()));
      continue;
    }
    std::vector<Factor> trial = kept;
    trial.push_back(f);
    if (inverse_condition(build_design(points, trial)) < kCollinearTolerance) {
      fit.messages.push_back(exponent_symbol(f) + " (" + factor_name(f) +
                             ") is collinear with the other factors in this data; left out of the fit");
      continue;
    }
    kept.push_back(f);
  }
  fit.factors = kept;
  if (fit.n_points <= 1 + static_cast<int>(kept.size())) {
    fit.messages.push_back(std::to_string(fit.n_points) + " points for " +
                           std::to_string(1 + kept.size()) + " coefficients: nothing can be estimated");
    return fit;
  }
  std::vector<double> y;
  for (const auto& p : points) y.push_back(p.y);
  fit.ols = ols_fit(build_design(points, kept), y);
  fit.fitted = true;
  fit.collinearity_warning = fit.ols.collinearity_condition_number > kCollinearityWarning;
  if (fit.collinearity_warning) {
    char buffer[160];
    std::snprintf(buffer, sizeof buffer,
                  "warning: factors are collinear (scaled condition number %.1f > %.0f): exponents are unstable",
                  fit.ols.collinearity_condition_number, kCollinearityWarning);
    fit.messages.push_back(buffer);
  }
  return fit;
}

}  // namespace qs::law
