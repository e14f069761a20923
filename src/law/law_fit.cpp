#include "law/law_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/error.h"
#include "law/wls.h"

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

// The requested covariance, with what too few models cannot support said in the messages.
void apply_stratum_inference(StratumFit& fit, SeKind se_kind) {
  int models = static_cast<int>(fit.models.size());
  if (clustered(se_kind) && models < 2) {
    fit.messages.push_back("one model: its offset is the intercept, so intervals use HC3 within that model");
    se_kind = SeKind::HC3;
  }
  apply_inference(fit.ols, se_kind);
  int k_alpha = -1;
  for (size_t k = 0; k < fit.factors.size(); ++k)
    if (fit.factors[k] == Factor::N) k_alpha = static_cast<int>(k) + 1;
  if (clustered(se_kind) && models < kMinModelsForAlpha && k_alpha >= 0) {
    fit.ols.se[k_alpha] = fit.ols.t[k_alpha] = fit.ols.p_value[k_alpha] = NAN;
    fit.ols.ci_low[k_alpha] = fit.ols.ci_high[k_alpha] = NAN;
    fit.messages.push_back("only " + std::to_string(models) + " models: α's uncertainty cannot be estimated (needs >= " +
                           std::to_string(kMinModelsForAlpha) +
                           " models, each is one observation of α); see the model bootstrap and leave-one-model-out");
  }
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

std::string estimator_name(Estimator estimator) {
  switch (estimator) {
    case Estimator::Ols: return "ols";
    case Estimator::Wls: return "wls";
    case Estimator::Binomial: return "binomial";
  }
  return "ols";
}

Estimator parse_estimator(const std::string& text) {
  for (Estimator e : {Estimator::Ols, Estimator::Wls, Estimator::Binomial})
    if (text == estimator_name(e)) return e;
  throw Error("--estimator", "must be ols, wls or binomial, got '" + text + "'");
}

BinomialCounts binomial_counts(const std::vector<LawPoint>& points) {
  BinomialCounts counts;
  for (const auto& p : points) {
    counts.trials.push_back(static_cast<double>(p.n_docs));
    counts.correct.push_back(std::round(p.acc * static_cast<double>(p.n_docs)));
    counts.chance.push_back(p.acc_rand);
  }
  return counts;
}

std::vector<double> wls_weights(const std::vector<LawPoint>& points) {
  std::vector<double> weights;
  for (const auto& p : points) {
    if (!(p.y_se > 0 && std::isfinite(p.y_se))) return {};
    weights.push_back(1 / (p.y_se * p.y_se));
  }
  return weights;
}

namespace {

std::vector<double> responses(const std::vector<LawPoint>& points) {
  std::vector<double> y;
  y.reserve(points.size());
  for (const auto& p : points) y.push_back(p.y);
  return y;
}

constexpr const char* kBinomialWhere = "--estimator binomial";

// The binomial MLE from the OLS start; nullopt-like: converged = false when it has no finite maximum.
BinomialFit binomial_mle(const Design& x, const std::vector<LawPoint>& points, const std::vector<double>& y) {
  std::vector<double> start;
  if (!ols_coefficients(x, y, start)) return {};
  return binomial_fit(x, binomial_counts(points), start, kBinomialWhere);
}

// The binomial fit as an OlsResult (see fit_stratum in the header for what each field means).
OlsResult fit_binomial(const std::vector<LawPoint>& points, const Design& x, const std::vector<double>& y) {
  BinomialFit mle = binomial_mle(x, points, y);
  require(mle.converged, kBinomialWhere,
          "the likelihood has no finite maximum for these points (every point at chance or at the ceiling?); "
          "use --estimator ols");
  OlsResult out = ols_fit(mle.whitened_x, mle.whitened_z);
  add_cluster_covariance(out, mle.whitened_x, model_of_points(points));
  // Back to y's units for the residual diagnostics, plots and variance components.
  out.fitted = design_times(x, out.coef);
  for (int r = 0; r < x.rows; ++r) out.residuals[r] = y[r] - out.fitted[r];
  Design intercept_only;
  intercept_only.rows = x.rows;
  intercept_only.cols = 1;
  intercept_only.values.assign(static_cast<size_t>(x.rows), 1.0);
  intercept_only.names = {"lnA"};
  BinomialFit null_fit = binomial_mle(intercept_only, points, y);
  out.rss = mle.deviance;
  out.tss = null_fit.converged ? null_fit.deviance : NAN;
  out.r2 = 1 - out.rss / out.tss;
  out.adj_r2 = 1 - (1 - out.r2) * (out.n - 1) / out.df_resid;
  return out;
}

}  // namespace

bool fit_coefficients(const std::vector<LawPoint>& points, const std::vector<Factor>& factors, Estimator estimator,
                      std::vector<double>& coef) {
  std::vector<double> y = responses(points);
  Design x = build_design(points, factors);
  if (estimator == Estimator::Binomial) {
    BinomialFit mle = binomial_mle(x, points, y);
    coef = mle.coef;
    return mle.converged;
  }
  if (estimator == Estimator::Wls) {
    WhitenedData w = whiten(x, y, wls_weights(points));
    return ols_coefficients(w.x, w.y, coef);
  }
  return ols_coefficients(x, y, coef);
}

WorkingSystem working_system(const StratumFit& fit, const std::vector<LawPoint>& points) {
  WorkingSystem system{build_design(points, fit.factors), fit.ols.residuals};
  if (fit.estimator == Estimator::Wls) {
    std::vector<double> weights = wls_weights(points);
    system.x = whiten(system.x, system.residuals, weights).x;
    for (size_t i = 0; i < weights.size(); ++i) system.residuals[i] *= std::sqrt(weights[i]);
  } else if (fit.estimator == Estimator::Binomial) {
    Design whitened_x;
    std::vector<double> whitened_z;
    binomial_working_system(system.x, binomial_counts(points), fit.ols.coef, whitened_x, whitened_z);
    system.x = std::move(whitened_x);
    const std::vector<double> fitted = design_times(system.x, fit.ols.coef);
    for (int r = 0; r < system.x.rows; ++r) system.residuals[r] = whitened_z[r] - fitted[r];
  }
  return system;
}

OlsResult fit_points(const std::vector<LawPoint>& points, const std::vector<Factor>& factors, Estimator estimator,
                     SeKind se_kind) {
  std::vector<double> y = responses(points);
  Design x = build_design(points, factors);
  OlsResult out;
  if (estimator == Estimator::Binomial) {
    out = fit_binomial(points, x, y);
  } else if (estimator == Estimator::Wls) {
    std::vector<double> weights = wls_weights(points);
    require(!weights.empty(), "wls", "a point has no standard error (acc_stderr) to weight it by");
    WhitenedData w = whiten(x, y, weights);
    out = ols_fit(w.x, w.y);
    add_cluster_covariance(out, w.x, model_of_points(points));  // on whitened scores, as statsmodels
    unwhiten(out, x, y, weights);
  } else {
    out = ols_fit(x, y);
    add_cluster_covariance(out, x, model_of_points(points));
  }
  if (se_kind != SeKind::Classical) apply_inference(out, se_kind);
  return out;
}

namespace {

// ln se_y² = c0 + c1·ŷ by least squares (law_fit.h); left NaN when a point has no se_y.
void estimate_noise_function(StratumFit& fit, const std::vector<LawPoint>& points) {
  fit.noise_log_intercept = NAN;
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, mean_var = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!(points[i].y_se > 0 && std::isfinite(points[i].y_se))) return;
    double x = fit.ols.fitted[i], v = std::log(points[i].y_se * points[i].y_se);
    n += 1, sx += x, sy += v, sxx += x * x, sxy += x * v, mean_var += points[i].y_se * points[i].y_se;
  }
  double denominator = n * sxx - sx * sx;
  if (n < 3 || !(denominator > 0)) return;
  fit.noise_log_slope = (n * sxy - sx * sy) / denominator;
  fit.noise_log_intercept = (sy - fit.noise_log_slope * sx) / n;
  fit.excess_within_variance = std::max(0.0, fit.within_model_variance - mean_var / n);
}

}  // namespace

double within_variance_at(const StratumFit& fit, double y_hat) {
  if (std::isnan(fit.noise_log_intercept)) return fit.within_model_variance;
  return fit.excess_within_variance + std::exp(fit.noise_log_intercept + fit.noise_log_slope * y_hat);
}

std::vector<std::string> model_of_points(const std::vector<LawPoint>& points) {
  std::vector<std::string> models;
  models.reserve(points.size());
  for (const auto& p : points) models.push_back(p.model);
  return models;
}

void estimate_variance_components(StratumFit& fit, const std::vector<LawPoint>& points) {
  const OlsResult& o = fit.ols;
  std::map<std::string, std::pair<int, double>> by_model;  // n_g, Σ e
  for (size_t i = 0; i < points.size(); ++i) {
    auto& m = by_model[points[i].model];
    m.first += 1;
    m.second += o.residuals[i];
  }
  const double n = o.n, g_count = static_cast<double>(by_model.size());
  const int k_between = 1 + (coefficient_index(fit, Factor::N) >= 0 ? 1 : 0);
  double within_ss = 0, between_ss = 0, sum_n2 = 0;
  for (double e : o.residuals) within_ss += e * e;  // in y's units (o.rss is Σ w e² under WLS)
  for (const auto& [model, m] : by_model) {
    double mean = m.second / m.first;
    between_ss += m.first * mean * mean;
    sum_n2 += static_cast<double>(m.first) * m.first;
  }
  within_ss -= between_ss;  // Σ (e − ē_g)² = Σ e² − Σ n_g ē_g²
  double within_df = n - g_count - (o.p - k_between);
  fit.within_model_variance = within_df > 0 ? std::max(0.0, within_ss) / within_df : fit.residual_variance;
  fit.within_model_df = within_df > 0 ? within_df : o.df_resid;
  fit.between_model_variance = 0;
  fit.between_model_df = std::max(0.0, g_count - k_between);
  if (g_count > k_between && g_count > 1) {
    double msb = between_ss / (g_count - k_between);
    double n0 = (n - sum_n2 / n) / (g_count - 1);
    fit.between_model_variance = std::max(0.0, (msb - fit.within_model_variance) / n0);
  }
  estimate_noise_function(fit, points);
}

StratumFit fit_stratum(const std::string& stratum, Response response, const std::vector<LawPoint>& points,
                       const std::vector<Factor>& requested, SeKind se_kind, Estimator estimator) {
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
  if (estimator == Estimator::Wls && wls_weights(points).empty()) {
    fit.messages.push_back("WLS needs acc_stderr (> 0) on every point: fitted by OLS instead");
    estimator = Estimator::Ols;
  }
  if (estimator == Estimator::Binomial &&
      (response != Response::Accuracy ||
       std::any_of(points.begin(), points.end(), [](const LawPoint& p) { return !(p.n_docs > 0) || std::isnan(p.acc); }))) {
    fit.messages.push_back("the binomial estimator needs each point's document count (n_docs): fitted by OLS instead");
    estimator = Estimator::Ols;
  }
  fit.estimator = estimator;
  // Classical here; apply_stratum_inference switches to what was asked (and says what not).
  fit.ols = fit_points(points, kept, estimator, SeKind::Classical);
  apply_stratum_inference(fit, se_kind);
  double sum_sq = 0;
  for (double e : fit.ols.residuals) sum_sq += e * e;
  fit.residual_variance = sum_sq / fit.ols.df_resid;
  estimate_variance_components(fit, points);
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

std::vector<ExponentPair> comparable_exponents(const std::vector<StratumFit>& fits) {
  auto comparable = [](const StratumFit& f) {
    return f.fitted && f.stratum != kGeneralStratum && f.stratum != kPerplexityStratum;
  };
  std::vector<ExponentPair> pairs;
  for (size_t a = 0; a < fits.size(); ++a)
    for (size_t b = a + 1; b < fits.size(); ++b) {
      if (!comparable(fits[a]) || !comparable(fits[b])) continue;
      for (Factor f : fits[a].factors) {
        int kb = coefficient_index(fits[b], f);
        if (kb >= 0) pairs.push_back({a, b, f, coefficient_index(fits[a], f), kb});
      }
    }
  return pairs;
}

}  // namespace qs::law
