#pragma once
// One fit of the law for one stratum:
//   y = ln A + α ln N + β ln log2 B + γ ln log2 Cb + δ ln G   (PAPER.md "Law")
// A requested factor that does not vary in the stratum's data (one model, one group size …)
// or that is collinear with the factors before it is left out with a message saying what
// cannot be estimated; its constant value is kept so predictions can say what they assume.
// A stratum with fewer than kMinUsablePoints usable points is not fitted (message, no throw).
// Inference (SEs, CIs, tests, prediction intervals) is cluster-robust by model unless asked
// otherwise (robust_inference.h); a random model effect's variance is estimated beside it.
#include <map>
#include <string>
#include <vector>

#include "law/binomial_fit.h"
#include "law/law_data.h"
#include "law/ols.h"
#include "law/robust_inference.h"

namespace qs::law {

constexpr int kMinUsablePoints = 6;

// ols: every point weighs the same; wls: weights 1/se_y² from acc_stderr (wls.h); binomial:
// maximum likelihood on the correct/total counts on the accuracy scale (binomial_fit.h).
enum class Estimator { Ols, Wls, Binomial };
std::string estimator_name(Estimator estimator);   // "ols", "wls", "binomial"
Estimator parse_estimator(const std::string& text); // throws qs::Error naming --estimator

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
  Estimator estimator = Estimator::Ols;
  OlsResult ols;                      // column 0 = ln A, then one column per factor
  double residual_variance = 0;       // Σ e²/(n − p) in y's units (= ols.sigma2 for OLS)
  // Variance of y split into a model effect shared by all points of a model (τ²) and the rest
  // (σ²_w), by the method of moments on the residuals (see between_model_variance below).
  double within_model_variance = 0, between_model_variance = 0;
  double within_model_df = 0, between_model_df = 0;  // their degrees of freedom
  // The measurement (binomial) part of σ²_w is not the same everywhere: near chance and near
  // the ceiling y = ln(−ln Acc_adj) is noisier. From the points' delta-method se_y:
  //   ln se_y² ≈ c0 + c1·ŷ  (least squares over the points),
  //   excess = max(0, σ²_w − mean se_y²)  (lack of fit beyond measurement noise),
  // so a new point's within-model variance is excess + exp(c0 + c1·ŷ0) (predict.h). NaN c0:
  // no acc_stderr, σ²_w is used as is.
  double noise_log_intercept = NAN, noise_log_slope = 0, excess_within_variance = 0;
  bool collinearity_warning = false;  // collinearity condition number > kCollinearityWarning
};

constexpr double kCollinearityWarning = 30;  // Belsley's threshold for the scaled condition number

// Builds the design [1, regressors of `factors`] for the points.
Design build_design(const std::vector<LawPoint>& points, const std::vector<Factor>& factors);

// Fits one stratum with the requested factors (see above for what is dropped and why).
// `se_kind` picks the reported covariance; Cluster with one model falls back to HC3 (the
// model's offset is then the intercept) and with fewer than kMinModelsForAlpha models α's
// interval is NaN ("not estimable") with a message.
// `estimator` Wls needs every point's y_se (finite, > 0), Binomial every point's n_docs;
// otherwise the fit falls back to OLS with a message. Binomial fits report the quasi-binomial
// covariance as "classical" (Pearson dispersion, t(n − p)), the sandwiches on the working
// scores otherwise, the deviance as rss (so nested F-tests are quasi-likelihood F-tests,
// McCullagh & Nelder 1989 §9.3) and R² = 1 − D / D_null (deviance explained).
StratumFit fit_stratum(const std::string& stratum, Response response, const std::vector<LawPoint>& points,
                       const std::vector<Factor>& requested, SeKind se_kind = SeKind::Cluster,
                       Estimator estimator = Estimator::Ols);

// One regression of the points on [1, factors] by `estimator`, with the cluster-robust
// covariance by model added and `se_kind` applied (the fit, the ablation's nested models and
// leave-one-model-out all go through here). Throws qs::Error as ols_fit does.
OlsResult fit_points(const std::vector<LawPoint>& points, const std::vector<Factor>& factors, Estimator estimator,
                     SeKind se_kind);

// Coefficients only, by `estimator` (the bootstrap's resamples): false when the design is
// rank-deficient or the binomial likelihood has no finite maximum.
bool fit_coefficients(const std::vector<LawPoint>& points, const std::vector<Factor>& factors, Estimator estimator,
                      std::vector<double>& coef);

// The least-squares system a fit's covariance is computed on: its design and residuals,
// whitened (√w) under WLS and under the binomial estimator's last IRLS step.
struct WorkingSystem {
  Design x;
  std::vector<double> residuals;
};
WorkingSystem working_system(const StratumFit& fit, const std::vector<LawPoint>& points);

// The binomial estimator's data: correct = round(acc · n_docs), n_docs, Acc_rand.
BinomialCounts binomial_counts(const std::vector<LawPoint>& points);

// The WLS weights 1/y_se², or an empty vector when a point has no usable y_se.
std::vector<double> wls_weights(const std::vector<LawPoint>& points);

// The model of every point (the clusters of the robust covariance).
std::vector<std::string> model_of_points(const std::vector<LawPoint>& points);

// One-way ANOVA method of moments on the OLS residuals e grouped by model g (Searle, Casella &
// McCulloch 1992, §3.5; leverage ignored):
//   σ²_w = Σ_g Σ_i (e_i − ē_g)² / (n − G − (p − k_b)),   MSB = Σ_g n_g ē_g² / (G − k_b),
//   τ² = max(0, (MSB − σ²_w) / n₀),   n₀ = (n − Σ n_g²/n) / (G − 1),
// k_b = coefficients that vary only between models (ln A, and α when N is in the fit).
// τ² is 0 when G ≤ k_b (nothing left to estimate it from).
void estimate_variance_components(StratumFit& fit, const std::vector<LawPoint>& points);

// σ²_w at a point whose fitted y is `y_hat` (the noise function above, or σ²_w).
double within_variance_at(const StratumFit& fit, double y_hat);

// The raw value of a factor for a point (N in parameters, B in bits, G, Cb in samples).
double factor_value(Factor factor, const LawPoint& point);

// Index of a factor's coefficient in fit.ols (0 = ln A), or -1 when it is not in the fit.
int coefficient_index(const StratumFit& fit, Factor factor);

// One exponent shared by two fitted L-strata (General and L0 excluded): the comparisons the
// strata tests make (ablation.h Welch t, bootstrap.h differences).
struct ExponentPair {
  size_t a, b;   // indices into the fits
  Factor factor;
  int index_a, index_b;  // coefficient indices in each fit
};
std::vector<ExponentPair> comparable_exponents(const std::vector<StratumFit>& fits);

}  // namespace qs::law
