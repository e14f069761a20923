#include "law/extrapolation.h"

#include <algorithm>
#include <cmath>
#include <map>

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
  for (const auto& [model, n] : model_size) {
    HeldOutModel h;
    h.model = model;
    h.n_params = n;
    h.largest = n == largest;
    std::vector<LawPoint> train, test;
    for (const auto& p : points) (p.model == model ? test : train).push_back(p);
    h.n_points = static_cast<int>(test.size());
    std::vector<double> y, coef;
    for (const auto& p : train) y.push_back(p.y);
    if (!ols_coefficients(build_design(train, fit.factors), y, coef)) {
      h.message = "the other models do not identify every exponent";
      out.held_out.push_back(h);
      continue;
    }
    Design x = build_design(test, fit.factors);
    double sq = 0, bias = 0, abs_natural = 0;
    for (int r = 0; r < x.rows; ++r) {
      double predicted = 0;
      for (int c = 0; c < x.cols; ++c) predicted += x.at(r, c) * coef[c];
      double error = predicted - test[r].y;
      sq += error * error;
      bias += error;
      abs_natural += std::fabs(natural_response(fit.response, predicted) - natural_response(fit.response, test[r].y));
    }
    h.evaluated = true;
    h.rmse_y = std::sqrt(sq / x.rows);
    h.bias_y = bias / x.rows;
    h.mae_natural = abs_natural / x.rows;
    sum_sq += sq;
    sum_abs += abs_natural;
    out.evaluated_points += x.rows;
    out.held_out.push_back(h);
  }
  if (out.evaluated_points > 0) {
    out.rmse_y = std::sqrt(sum_sq / out.evaluated_points);
    out.mae_natural = sum_abs / out.evaluated_points;
  }
  return out;
}

}  // namespace qs::law
