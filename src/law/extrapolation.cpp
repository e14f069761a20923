#include "law/extrapolation.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "law/predict.h"

namespace qs::law {

double natural_response(Response response, double y) {
  return response == Response::Accuracy ? adjusted_accuracy_from_y(y) : std::exp(y);
}

StratumExtrapolation leave_one_model_out(const StratumFit& fit, const std::vector<LawPoint>& points) {
  StratumExtrapolation out;
  out.stratum = fit.stratum;
  if (!fit.fitted) {
    out.message = "no fit for this stratum";
    return out;
  }
  std::map<std::string, double> model_size;
  for (const auto& p : points) model_size[p.model] = p.n_params;
  if (model_size.size() < 3) {
    out.message = "leave-one-model-out needs at least 3 models (the data has " + std::to_string(model_size.size()) + ")";
    return out;
  }
  double largest = 0;
  for (const auto& [model, n] : model_size) largest = std::max(largest, n);
  double sum_sq = 0, sum_abs = 0;
  int sum_inside = 0;
  for (const auto& [model, n] : model_size) {
    HeldOutModel h;
    h.model = model;
    h.n_params = n;
    h.largest = n == largest;
    std::vector<LawPoint> train, test;
    for (const auto& p : points) (p.model == model ? test : train).push_back(p);
    h.n_points = static_cast<int>(test.size());
    StratumFit train_fit = fit_stratum(fit.stratum, fit.response, train, fit.factors, fit.ols.se_kind, fit.estimator);
    if (!train_fit.fitted || train_fit.factors != fit.factors) {
      h.message = "the other models do not identify every exponent";
      out.held_out.push_back(h);
      continue;
    }
    double sq = 0, bias = 0, abs_natural = 0;
    int inside = 0;
    for (const auto& p : test) {
      StratumPrediction pred = predict_stratum(train_fit, {p.n_params, p.bits, p.group_size, p.calib_samples});
      double error = pred.y.value - p.y;
      sq += error * error;
      bias += error;
      abs_natural += std::fabs(natural_response(fit.response, pred.y.value) - natural_response(fit.response, p.y));
      inside += pred.y.low <= p.y && p.y <= pred.y.high;
    }
    const int rows = static_cast<int>(test.size());
    h.evaluated = true;
    h.rmse_y = std::sqrt(sq / rows);
    h.bias_y = bias / rows;
    h.mae_natural = abs_natural / rows;
    h.coverage = inside / static_cast<double>(rows);
    sum_sq += sq;
    sum_abs += abs_natural;
    sum_inside += inside;
    out.evaluated_points += rows;
    out.held_out.push_back(h);
  }
  if (out.evaluated_points > 0) {
    out.rmse_y = std::sqrt(sum_sq / out.evaluated_points);
    out.mae_natural = sum_abs / out.evaluated_points;
    out.coverage = sum_inside / static_cast<double>(out.evaluated_points);
  }
  return out;
}

}  // namespace qs::law
