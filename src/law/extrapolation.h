#pragma once
// Leave-one-model-out extrapolation (the paper's "predict a larger model" check): for each
// model, refit the stratum's law on the other models' points with the same factors and
// predict the held-out points. Errors are reported in the fitted space (y) and back-
// transformed (Acc_adj for accuracy, ln(ppl_q/ppl_fp) for perplexity), beside the share of
// held-out points inside their 95% prediction interval (predict.h: with the default
// cluster-robust inference, the interval of a point of a new model).
#include <cmath>
#include <string>
#include <vector>

#include "law/law_fit.h"

namespace qs::law {

struct HeldOutModel {
  std::string model;
  double n_params = 0;
  int n_points = 0;
  bool evaluated = false;
  bool largest = false;          // the held-out model is the largest: a true extrapolation in N
  std::string message;           // why it was not evaluated
  double rmse_y = 0, bias_y = 0; // predicted − measured, in y
  double mae_natural = 0;        // mean |Δ| of Acc_adj (accuracy) or of ln(ppl_q/ppl_fp)
  double coverage = NAN;         // share of its points inside their 95% prediction interval
};

struct StratumExtrapolation {
  std::string stratum;
  std::vector<HeldOutModel> held_out;
  double rmse_y = 0, mae_natural = 0;  // over every evaluated held-out point
  double coverage = NAN;               // share of them inside their 95% prediction interval
  int evaluated_points = 0;
  std::string message;
};

StratumExtrapolation leave_one_model_out(const StratumFit& fit, const std::vector<LawPoint>& points);

// The response in natural units from y: Acc_adj = exp(−exp y), or ln(ppl_q/ppl_fp) = exp y.
double natural_response(Response response, double y);

}  // namespace qs::law
