// Coverage of the default (cluster-robust) intervals on sweeps shaped like the paper's (issue
// 15): 8 models (Qwen3 0.6–14B, Llama-3 1–8B) × B {3,4,8} × G {32,64,128,1024} × Cb
// {8,32,128,1024}, 3 tasks per stratum with chance 0 / 0.25 / 0.5, 600–1000 documents per
// task, binomial noise on the counts and a per-model offset of sd 0.08 on y shared by all of
// a model's points. Every exponent's 95% CI and the 95% prediction interval of the held-out
// largest model (Qwen3-14B, fitted on the other 7) must cover inside the band
// 0.90–0.98, widened to 0.95 ± 3 binomial SDs of the replicate count when that is wider (so a
// short run cannot fail by chance: 40 replicates → 0.846–1). Classical coverage is printed
// beside for contrast. 40 replicates in the unit test (~25 s); the 200 with
// QS_COVERAGE_REPLICATES=200 (bench/coverage_study.sh, ~30 s).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <map>
#include <random>

#include "law/distributions.h"
#include "law/law_fit.h"
#include "law/predict.h"
#include "law/synthetic_sweep.h"

namespace qs::law {
namespace {

using test::planted_exponent;

const std::vector<std::string> kStrata = {"L1", "L2", "L3"};
// PAPER.md's exponents; ln A chosen so accuracies stay between chance and ceiling.
const std::vector<test::PlantedLaw> kPaperLaws = {
    {5.8, -0.315, -0.964, -0.040, 0.064}, {7.4, -0.400, -1.100, -0.030, 0.075}, {6.3, -0.320, -1.200, -0.025, 0.085}};

std::vector<test::SyntheticTask> three_tasks_per_stratum() {
  std::vector<test::SyntheticTask> tasks;
  for (const auto& s : kStrata)
    for (double chance : {0.0, 0.25, 0.5}) tasks.push_back({s + "_chance" + std::to_string(chance), s, chance});
  return tasks;
}

struct Tally {
  int covered = 0, total = 0;
  void add(bool inside) { covered += inside, ++total; }
  double rate() const { return total ? covered / static_cast<double>(total) : NAN; }
};

// Share of the held-out points whose y lies inside the fit's 95% prediction interval.
double held_out_coverage(const StratumFit& fit, const std::vector<LawPoint>& held_out) {
  int inside = 0;
  for (const auto& p : held_out) {
    StratumPrediction pred = predict_stratum(fit, {p.n_params, p.bits, p.group_size, p.calib_samples});
    inside += pred.y.low <= p.y && p.y <= pred.y.high;
  }
  return inside / static_cast<double>(held_out.size());
}

int replicate_count() {
  const char* env = std::getenv("QS_COVERAGE_REPLICATES");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 40;
}

TEST(LawCoverage, ClusterRobustIntervalsCoverOnSharedModelSweeps) {
  const int replicates = replicate_count();
  const double three_sd = 3 * std::sqrt(0.95 * 0.05 / replicates);
  const double low = std::min(0.90, 0.95 - three_sd), high = std::max(0.98, 0.95 + three_sd);
  std::printf("%d replicates: acceptance band %.3f–%.3f\n", replicates, low, high);
  const std::string largest = "Qwen3-14B";
  auto grid = test::eight_model_grid(three_tasks_per_stratum());
  std::mt19937_64 rng(15);
  std::map<std::string, std::map<Factor, Tally>> cluster, classical;
  std::map<std::string, double> pi_cluster, pi_classical;
  for (int r = 0; r < replicates; ++r) {
    auto rows = test::binomial_sweep(grid, kStrata, kPaperLaws, test::BinomialNoise{}, rng);
    PreparedData data = prepare_law_data(rows, PrepOptions{});
    for (size_t s = 0; s < kStrata.size(); ++s) {
      const auto& points = data.accuracy[kStrata[s]];
      StratumFit fit = fit_stratum(kStrata[s], Response::Accuracy, points, all_factors());
      ASSERT_TRUE(fit.fitted);
      ASSERT_EQ(fit.ols.se_kind, SeKind::Cluster);
      double t_classical = student_t_quantile(0.975, fit.ols.df_resid);
      for (Factor f : all_factors()) {
        int k = coefficient_index(fit, f);
        double truth = planted_exponent(kPaperLaws[s], f);
        cluster[kStrata[s]][f].add(fit.ols.ci_low[k] <= truth && truth <= fit.ols.ci_high[k]);
        classical[kStrata[s]][f].add(std::fabs(fit.ols.coef[k] - truth) <= t_classical * fit.ols.se_classical[k]);
      }
      std::vector<LawPoint> train, held_out;
      for (const auto& p : points) (p.model == largest ? held_out : train).push_back(p);
      pi_cluster[kStrata[s]] += held_out_coverage(fit_stratum(kStrata[s], Response::Accuracy, train, all_factors()),
                                                  held_out) / replicates;
      pi_classical[kStrata[s]] +=
          held_out_coverage(fit_stratum(kStrata[s], Response::Accuracy, train, all_factors(), SeKind::Classical),
                            held_out) / replicates;
    }
  }
  for (const auto& s : kStrata) {
    for (Factor f : all_factors()) {
      double rate = cluster[s][f].rate();
      std::printf("%s %-5s 95%% CI coverage: cluster-robust %.3f, classical %.3f\n", s.c_str(),
                  exponent_name(f).c_str(), rate, classical[s][f].rate());
      EXPECT_GE(rate, low) << s << " " << exponent_name(f);
      EXPECT_LE(rate, high) << s << " " << exponent_name(f);
    }
    std::printf("%s held-out %s 95%% prediction interval coverage: default %.3f, classical %.3f\n", s.c_str(),
                largest.c_str(), pi_cluster[s], pi_classical[s]);
    EXPECT_GE(pi_cluster[s], low) << s;
    EXPECT_LE(pi_cluster[s], high) << s;
  }
}

}  // namespace
}  // namespace qs::law
