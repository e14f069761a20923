#include "eval/statistics.h"

#include <cmath>

#include "eval/python_random.h"

namespace qs::stats {

double mean(const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += x;
  return xs.empty() ? 0.0 : sum / static_cast<double>(xs.size());
}

double sample_stddev(const std::vector<double>& xs) {
  double mu = mean(xs), sum = 0;
  for (double x : xs) sum += (x - mu) * (x - mu);
  return std::sqrt(sum / static_cast<double>(xs.size() - 1));
}

std::optional<double> mean_stderr(const std::vector<double>& xs) {
  if (xs.size() < 2) return std::nullopt;
  return sample_stddev(xs) / std::sqrt(static_cast<double>(xs.size()));
}

double perplexity(const std::vector<double>& loglikelihoods) { return std::exp(-mean(loglikelihoods)); }

std::optional<double> bootstrap_stderr(const std::function<double(const std::vector<double>&)>& statistic,
                                       const std::vector<double>& xs, int iters) {
  if (iters <= 0 || xs.size() < 2) return std::nullopt;
  const int chunk = iters < 1000 ? iters : 1000;
  std::vector<double> replicates;
  std::vector<double> resample(xs.size());
  for (int i = 0; i < iters / chunk; ++i) {
    PythonRandom random(static_cast<uint64_t>(i));
    for (int j = 0; j < chunk; ++j) {
      const double n = static_cast<double>(xs.size());
      for (auto& value : resample) value = xs[static_cast<size_t>(std::floor(random.random() * n))];
      replicates.push_back(statistic(resample));
    }
  }
  if (replicates.size() < 2) return std::nullopt;
  return sample_stddev(replicates);
}

double pooled_sample_stderr(const std::vector<double>& stderrs, const std::vector<int64_t>& sizes) {
  double numerator = 0;
  int64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    auto n = static_cast<double>(sizes[i]);
    numerator += (n - 1) * stderrs[i] * stderrs[i] * n;
    total += sizes[i];
  }
  double pooled_variance = numerator / static_cast<double>(total - static_cast<int64_t>(sizes.size()));
  return std::sqrt(pooled_variance / static_cast<double>(total));
}

}  // namespace qs::stats
