#include "law/predict.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "law/distributions.h"
#include "law/robust_inference.h"

namespace qs::law {
namespace {

double raw_value(Factor f, const Configuration& c) {
  switch (f) {
    case Factor::N: return c.n_params;
    case Factor::B: return c.bits;
    case Factor::G: return c.group_size;
    case Factor::Cb: return c.calib_samples;
  }
  return NAN;
}

std::string show(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

// Decreasing back-transform: the interval's ends swap.
Interval back_transform(Response response, const Interval& y) {
  if (response == Response::Accuracy)
    return {adjusted_accuracy_from_y(y.value), adjusted_accuracy_from_y(y.high), adjusted_accuracy_from_y(y.low)};
  return {perplexity_ratio_from_y(y.value), perplexity_ratio_from_y(y.low), perplexity_ratio_from_y(y.high)};
}

}  // namespace

StratumPrediction predict_stratum(const StratumFit& fit, const Configuration& config, double confidence) {
  require(fit.fitted, "predict", "stratum " + fit.stratum + " has no fit");
  StratumPrediction out;
  out.stratum = fit.stratum;
  out.response = fit.response;
  std::vector<double> x0 = {1.0};
  for (Factor f : fit.factors) {
    double r = factor_regressor(f, config.n_params, config.bits, config.group_size, config.calib_samples);
    require(!std::isnan(r), "predict",
            factor_name(f) + " = " + show(raw_value(f, config)) + " has no value in the law (it uses ln " +
                (f == Factor::N ? "N" : f == Factor::G ? "G, so G must be > 0 (not per channel)" :
                 f == Factor::B ? "log2 B, so B must be >= 2" : "log2 Cb, so Cb must be >= 2") + ")");
    x0.push_back(r);
    auto range = fit.ranges.find(f);
    double v = raw_value(f, config);
    if (range != fit.ranges.end() && (v < range->second.first || v > range->second.second))
      out.warnings.push_back(factor_name(f) + " = " + show(v) + " lies outside the data of stratum " + fit.stratum +
                             " [" + show(range->second.first) + ", " + show(range->second.second) + "]: extrapolation");
  }
  for (const auto& [f, value] : fit.held_constant)
    if (raw_value(f, config) != value)
      out.warnings.push_back(factor_name(f) + " was " + show(value) + " throughout the data of stratum " + fit.stratum +
                             " and is not in its law: the prediction is for " + factor_name(f) + " = " + show(value));
  const OlsResult& o = fit.ols;
  const int p = o.p;
  double y = 0, var_mean = 0;
  for (int i = 0; i < p; ++i) {
    y += x0[i] * o.coef[i];
    for (int j = 0; j < p; ++j) var_mean += x0[i] * o.cov[static_cast<size_t>(i) * p + j] * x0[j];
  }
  out.se_mean = std::sqrt(var_mean);
  double df = o.df_resid;
  if (clustered(o.se_kind)) {
    // A new point of a new model: its own noise σ²_w and its model's effect τ² (law_fit.h),
    // with Welch–Satterthwaite df over the three estimated parts (var_mean on the smallest
    // coefficient df: conservative).
    double parts[3][2] = {{var_mean, o.df_inference},
                          {within_variance_at(fit, y), fit.within_model_df},
                          {fit.between_model_variance, fit.between_model_df}};
    double total = 0, denominator = 0;
    for (const auto& [v, d] : parts) {
      total += v;
      if (v > 0 && d > 0) denominator += v * v / d;
    }
    out.se_prediction = std::sqrt(total);
    df = denominator > 0 ? total * total / denominator : o.df_inference;
  } else {
    out.se_prediction = std::sqrt(var_mean + fit.residual_variance);  // points taken as independent
  }
  double t = student_t_quantile(0.5 + confidence / 2, df);
  out.y = {y, y - t * out.se_prediction, y + t * out.se_prediction};
  out.natural = back_transform(fit.response, out.y);
  if (fit.response == Response::Accuracy)
    for (const auto& [task, chance] : fit.task_acc_rand) {
      auto acc = [chance = chance](double adj) { return chance + (1 - chance) * adj; };
      out.task_accuracy[task] = {acc(out.natural.value), acc(out.natural.low), acc(out.natural.high)};
    }
  return out;
}

}  // namespace qs::law
