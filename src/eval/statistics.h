#pragma once
// Aggregations and standard errors with lm-eval's formulas (lm_eval/api/metrics.py).
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace qs::stats {

double mean(const std::vector<double>& xs);
// sqrt(sum (x - mean)^2 / (n - 1)): lm-eval's sample_stddev. Needs n >= 2.
double sample_stddev(const std::vector<double>& xs);
// sample_stddev / sqrt(n): lm-eval's mean_stderr (acc, acc_norm, exact_match).
std::optional<double> mean_stderr(const std::vector<double>& xs);

// exp(-mean(loglikelihoods)): lm-eval's perplexity aggregation (lambada).
double perplexity(const std::vector<double>& loglikelihoods);

// lm-eval's bootstrap_stderr: for chunk i in range(iters // 1000), Random(i) draws 1000
// resamples with choices(xs, k=len(xs)); stderr = sample_stddev of the statistic over them.
// Reproduces lm-eval's numbers exactly (same generator, same seeds).
std::optional<double> bootstrap_stderr(const std::function<double(const std::vector<double>&)>& statistic,
                                       const std::vector<double>& xs, int iters);

// lm-eval's pooled_sample_stderr for a group of subtasks (MMLU): sqrt(pooled variance / N),
// pooled variance = sum((n_i - 1) * n_i * se_i^2) / (N - k).
double pooled_sample_stderr(const std::vector<double>& stderrs, const std::vector<int64_t>& sizes);

}  // namespace qs::stats
