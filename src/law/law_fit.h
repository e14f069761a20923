#pragma once
// One fit of the law for one stratum:
//   y = ln A + α ln N + β ln log2 B + γ ln log2 Cb + δ ln G   (PAPER.md "Law")
// A requested factor that does not vary in the stratum's data (one model, one group size …)
// or that is collinear with the factors before it is left out with a message saying what
// cannot be estimated; its constant value is kept so predictions can say what they assume.
// A stratum with fewer than kMinUsablePoints usable points is not fitted (message, no throw).
#include <map>
#include <string>
#include <vector>

#include "law/law_data.h"
#include "law/ols.h"

namespace qs::law {

constexpr int kMinUsablePoints = 6;

struct StratumFit {
  std::string stratum;
  Response response = Response::Accuracy;
  bool fitted = false;
  std::vector<std::string> messages;  // what was left out and why (and why no fit, if none)
  std::vector<Factor> factors;        // the factors in the fit, in design order after ln A
  std::map<Factor, double> held_constant;  // dropped non-varying factors -> their value (N in params)
  int n_points = 0;
  std::vector<std::string> models;    // distinct models in the data
  std::map<Factor, std::pair<double, double>> ranges;  // raw value range of each factor in the data
  std::map<std::string, double> task_acc_rand;         // chance level of every task in the stratum
  OlsResult ols;                      // column 0 = ln A, then one column per factor
  bool collinearity_warning = false;  // collinearity condition number > kCollinearityWarning
};

constexpr double kCollinearityWarning = 30;  // Belsley's threshold for the scaled condition number

// Builds the design [1, regressors of `factors`] for the points.
Design build_design(const std::vector<LawPoint>& points, const std::vector<Factor>& factors);

// Fits one stratum with the requested factors (see above for what is dropped and why).
StratumFit fit_stratum(const std::string& stratum, Response response, const std::vector<LawPoint>& points,
                       const std::vector<Factor>& requested);

// The raw value of a factor for a point (N in parameters, B in bits, G, Cb in samples).
double factor_value(Factor factor, const LawPoint& point);

// Index of a factor's coefficient in fit.ols (0 = ln A), or -1 when it is not in the fit.
int coefficient_index(const StratumFit& fit, Factor factor);

}  // namespace qs::law
