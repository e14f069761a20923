#pragma once
// The law on the accuracy scale, fitted by maximum likelihood on the counts (issue 15,
// `--estimator binomial`):
//   correct_i ~ Binomial(n_i, Acc_i),   Acc_i = r_i + (1 − r_i)·exp(−exp(η_i)),   η = X b,
// r_i the task's chance level and η the law's linear predictor (law_fit.h): exp(−exp(η)) is
// Acc_adj, so η is y = ln(−ln Acc_adj) without the log of a noisy proportion. Points at chance
// (Acc_adj ≤ 0) and at the ceiling have a finite likelihood and stay in the fit.
//
// Fitted by Fisher scoring written as iteratively reweighted least squares (McCullagh & Nelder
// 1989, §2.5) with step halving on the log-likelihood:
//   w_i = n_i (∂Acc/∂η)² / (Acc (1 − Acc)),   z_i = η_i + (k_i/n_i − Acc_i) / (∂Acc/∂η),
//   ∂Acc/∂η = −(1 − r)·e^η·exp(−e^η).
// The last step's whitened system (√w x, √w z) is returned: least squares on it reproduces b,
// its (X̃ᵀX̃)⁻¹ is the inverse Fisher information and its residuals are the Pearson residuals
// (sign flipped), so the classical covariance of an OLS fit of it is the quasi-binomial one
// (Pearson dispersion) and the sandwich covariances (HC3, CR1, CR2 by model) are the GLM
// sandwiches on the working scores.
#include <string>
#include <vector>

#include "law/ols.h"

namespace qs::law {

struct BinomialCounts {
  std::vector<double> correct;  // k_i (acc · n rounded)
  std::vector<double> trials;   // n_i > 0
  std::vector<double> chance;   // r_i in [0, 1)
};

struct BinomialFit {
  std::vector<double> coef;
  double log_likelihood = 0;  // Σ k ln Acc + (n − k) ln(1 − Acc) (binomial coefficients left out)
  double deviance = 0;        // 2 Σ k ln(k / n Acc) + (n − k) ln((n − k) / n (1 − Acc))
  int iterations = 0;
  bool converged = false;
  Design whitened_x;          // √w_i x_i at b
  std::vector<double> whitened_z;  // √w_i z_i at b
};

// Maximum likelihood from `start` (e.g. OLS on y). Throws qs::Error naming `where` for counts
// out of range; a fit that does not converge in 200 steps is returned with converged = false.
BinomialFit binomial_fit(const Design& x, const BinomialCounts& counts, std::vector<double> start,
                         const std::string& where);

// The IRLS system at `coef`: rows √w_i x_i and √w_i z_i (the header's formulas).
void binomial_working_system(const Design& x, const BinomialCounts& counts, const std::vector<double>& coef,
                             Design& whitened_x, std::vector<double>& whitened_z);

// Acc = r + (1 − r)·exp(−exp(η)).
double binomial_law_accuracy(double eta, double chance);

}  // namespace qs::law
