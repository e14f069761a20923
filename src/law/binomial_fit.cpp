#include "law/binomial_fit.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace qs::law {
namespace {

// η is kept inside [−30, 6.5]: exp(−e^6.5) ≈ 1e-290 is still a positive double, so ln Acc,
// ln(1 − Acc) and the weights stay finite. An optimum at the edge means Acc_adj ≈ 0 or ≈ 1
// for the whole design, which only happens when the data give no finite estimate (then the fit
// reports converged = false).
constexpr double kEtaMin = -30, kEtaMax = 6.5;
constexpr int kMaxIterations = 200;

// Acc, 1 − Acc and ∂Acc/∂η at one η, each computed without cancellation.
struct RowTerms {
  double acc, one_minus_acc, slope, log_acc, log_one_minus_acc;
};

RowTerms row_terms(double eta, double chance) {
  eta = std::clamp(eta, kEtaMin, kEtaMax);
  const double s = std::exp(eta), q = std::exp(-s), one_minus_q = -std::expm1(-s);
  RowTerms t;
  t.acc = chance + (1 - chance) * q;
  t.one_minus_acc = (1 - chance) * one_minus_q;
  t.slope = -(1 - chance) * s * q;
  t.log_acc = chance > 0 ? std::log(t.acc) : -s;
  t.log_one_minus_acc = std::log1p(-chance) + std::log(one_minus_q);
  return t;
}

// k ln a with 0 ln 0 = 0.
double x_log(double k, double log_value) { return k == 0 ? 0 : k * log_value; }

double log_likelihood(const Design& x, const BinomialCounts& counts, const std::vector<double>& coef) {
  const std::vector<double> eta = design_times(x, coef);
  double sum = 0;
  for (int r = 0; r < x.rows; ++r) {
    const RowTerms t = row_terms(eta[r], counts.chance[r]);
    sum += x_log(counts.correct[r], t.log_acc) + x_log(counts.trials[r] - counts.correct[r], t.log_one_minus_acc);
  }
  return sum;
}

// Σ k ln(k/n) + (n − k) ln((n − k)/n): the log-likelihood of the saturated model (Acc = k/n).
double saturated_log_likelihood(const BinomialCounts& counts) {
  double sum = 0;
  for (size_t r = 0; r < counts.trials.size(); ++r) {
    const double k = counts.correct[r], n = counts.trials[r];
    sum += x_log(k, std::log(k / n)) + x_log(n - k, std::log((n - k) / n));
  }
  return sum;
}

}  // namespace

void binomial_working_system(const Design& x, const BinomialCounts& counts, const std::vector<double>& coef,
                             Design& wx, std::vector<double>& wz) {
  const std::vector<double> eta = design_times(x, coef);
  wx = x;
  wz.assign(static_cast<size_t>(x.rows), 0.0);
  for (int r = 0; r < x.rows; ++r) {
    const RowTerms t = row_terms(eta[r], counts.chance[r]);
    const double n = counts.trials[r], observed = counts.correct[r] / n;
    const double inverse_sd = std::sqrt(n / (t.acc * t.one_minus_acc));  // 1 / sd of k/n
    const double root_w = inverse_sd * std::fabs(t.slope);
    for (int c = 0; c < x.cols; ++c) wx.values[static_cast<size_t>(r) * x.cols + c] *= root_w;
    // √w (z − η) = √w (k/n − Acc) / (∂Acc/∂η) = (Acc − k/n)·inverse_sd, as ∂Acc/∂η < 0.
    wz[r] = root_w * eta[r] + (t.acc - observed) * inverse_sd;
  }
}

namespace {

void check_counts(const Design& x, const BinomialCounts& counts, const std::string& where) {
  const size_t rows = static_cast<size_t>(x.rows);
  require(counts.correct.size() == rows && counts.trials.size() == rows && counts.chance.size() == rows, where,
          "binomial counts do not match the design's rows");
  for (size_t r = 0; r < rows; ++r) {
    const double k = counts.correct[r], n = counts.trials[r], chance = counts.chance[r];
    require(n > 0 && std::isfinite(n) && k >= 0 && k <= n && chance >= 0 && chance < 1, where,
            "row " + std::to_string(r + 1) + ": correct " + std::to_string(k) + " of " + std::to_string(n) +
                " documents at chance " + std::to_string(chance) + " is not a binomial count");
  }
}

}  // namespace

double binomial_law_accuracy(double eta, double chance) { return row_terms(eta, chance).acc; }

BinomialFit binomial_fit(const Design& x, const BinomialCounts& counts, std::vector<double> start,
                         const std::string& where) {
  check_counts(x, counts, where);
  require(static_cast<int>(start.size()) == x.cols, where, "start has the wrong number of coefficients");
  BinomialFit fit;
  fit.coef = std::move(start);
  double current = log_likelihood(x, counts, fit.coef);
  while (fit.iterations < kMaxIterations && !fit.converged) {
    ++fit.iterations;
    std::vector<double> target;
    binomial_working_system(x, counts, fit.coef, fit.whitened_x, fit.whitened_z);
    if (!ols_coefficients(fit.whitened_x, fit.whitened_z, target)) break;  // information matrix singular
    // Step halving: Fisher scoring can overshoot far from the optimum.
    double step = 1, candidate_value = current;
    std::vector<double> candidate(fit.coef.size());
    for (int halving = 0; halving < 40; ++halving, step /= 2) {
      for (size_t c = 0; c < candidate.size(); ++c) candidate[c] = fit.coef[c] + step * (target[c] - fit.coef[c]);
      candidate_value = log_likelihood(x, counts, candidate);
      if (candidate_value >= current - 1e-12 * std::fabs(current)) break;
    }
    double largest_change = 0;
    for (size_t c = 0; c < candidate.size(); ++c)
      largest_change = std::max(largest_change, std::fabs(candidate[c] - fit.coef[c]));
    fit.converged = largest_change < 1e-10 && std::fabs(candidate_value - current) <= 1e-12 * (1 + std::fabs(current));
    fit.coef = candidate;
    current = candidate_value;
  }
  binomial_working_system(x, counts, fit.coef, fit.whitened_x, fit.whitened_z);
  fit.log_likelihood = current;
  fit.deviance = 2 * (saturated_log_likelihood(counts) - current);
  return fit;
}

}  // namespace qs::law
