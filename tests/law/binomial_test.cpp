// The binomial estimator (src/law/binomial_fit.h, `--estimator binomial`, issue 15): maximum
// likelihood of the correct/total counts on the accuracy scale, rows near chance kept.
//  - coefficients against an independent scipy.optimize fit (tests/reference/binomial_law_mle.py:
//    BFGS on the analytic gradient + Newton polish, not Fisher scoring) to 1e-6 (relative,
//    absolute below 1), on a sweep whose rows include some at or below chance;
//  - the planted exponents recovered when 2-bit cells collapse and near-chance rows stay in;
//  - default (cluster-robust) 95% intervals covering the planted exponents on sweeps shaped
//    like the paper's (same scenario and acceptance band as coverage_test.cpp);
//  - a study without document counts falls back to OLS and says so.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/atomic_file.h"
#include "law/law_fit.h"
#include "law/law_study.h"
#include "law/synthetic_sweep.h"
#include "test_support.h"

namespace qs::law {
namespace {

using test::planted_exponent;

test::SyntheticGrid l3_grid(std::vector<int> bits) {
  auto grid = test::eight_model_grid({{"t0", "L3", 0.0}, {"t25", "L3", 0.25}, {"t50", "L3", 0.5}});
  grid.bits = std::move(bits);
  return grid;
}

PrepOptions keep_near_chance() {
  PrepOptions options;
  options.keep_rows_near_chance = true;
  return options;
}

int rows_at_or_below_chance(const std::vector<LawPoint>& points) {
  return static_cast<int>(std::count_if(points.begin(), points.end(), [](const LawPoint& p) {
    return p.acc <= p.acc_rand;
  }));
}

nlohmann::json scipy_fit(const test::ScratchDir& dir, const std::vector<LawPoint>& points,
                         const std::vector<Factor>& factors, const std::vector<double>& start) {
  const Design x = build_design(points, factors);
  const BinomialCounts counts = binomial_counts(points);
  std::string csv;
  for (const auto& name : x.names) csv += name + ",";
  csv += "correct,trials,chance\n";
  char buffer[96];
  for (int r = 0; r < x.rows; ++r) {
    for (int c = 0; c < x.cols; ++c) {
      std::snprintf(buffer, sizeof buffer, "%.17g,", x.at(r, c));
      csv += buffer;
    }
    std::snprintf(buffer, sizeof buffer, "%.17g,%.17g,%.17g\n", counts.correct[r], counts.trials[r], counts.chance[r]);
    csv += buffer;
  }
  write_file_atomic(dir.file("data.csv"), csv);
  write_file_atomic(dir.file("start.json"), nlohmann::json{{"start", start}}.dump());
  auto result = test::run_reference("binomial_law_mle.py", dir.file("data.csv") + " " + dir.file("start.json") + " " +
                                                              dir.file("out.json"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return nlohmann::json::parse(read_file(dir.file("out.json")));
}

TEST(LawBinomial, CoefficientsMatchScipyMaximumLikelihoodWithRowsAtChance) {
  std::mt19937_64 rng(7);
  test::BinomialNoise noise;
  noise.model_offset_sd = 0.15;
  // ln A raised so that the smallest models at 2 bits sit near chance (Acc_adj ≈ 0.05), below
  // the k = 2 SE collapse line on the chance-0.5 task but in cells that are not at chance.
  test::PlantedLaw law = test::kPlantedL3;
  law.ln_a = 7.2;
  auto rows = test::binomial_sweep(l3_grid({2, 3, 4, 8}), {"L3"}, {law}, noise, rng);
  PreparedData data = prepare_law_data(rows, keep_near_chance());
  const auto& points = data.accuracy["L3"];
  const int at_chance = rows_at_or_below_chance(points);
  std::printf("%zu points, %d at or below chance (kept)\n", points.size(), at_chance);
  ASSERT_GT(at_chance, 0) << "the sweep should exercise rows at chance";
  const OlsResult fit = fit_points(points, all_factors(), Estimator::Binomial, SeKind::Classical);

  std::vector<double> start;
  ASSERT_TRUE(fit_coefficients(points, all_factors(), Estimator::Ols, start));
  test::ScratchDir dir("law_binomial_scipy");
  const nlohmann::json reference = scipy_fit(dir, points, all_factors(), start);
  std::printf("scipy gradient norm at its optimum %.3g\n", reference["gradient_norm"].get<double>());
  double worst = 0;
  for (int k = 0; k < fit.p; ++k) {
    const double theirs = reference["coef"][k].get<double>();
    const double error = std::fabs(fit.coef[k] - theirs) / std::max(1.0, std::fabs(theirs));
    worst = std::max(worst, error);
    EXPECT_LE(error, 1e-6) << fit.names[k] << ": ours " << fit.coef[k] << " scipy " << theirs;
  }
  std::printf("worst coefficient difference to scipy: %.3g (relative, absolute below 1)\n", worst);
  // The fit is the maximum: its log-likelihood is not below scipy's.
  Design x = build_design(points, all_factors());
  BinomialFit again = binomial_fit(x, binomial_counts(points), fit.coef, "test");
  EXPECT_GE(again.log_likelihood, reference["log_likelihood"].get<double>() - 1e-9 * std::fabs(again.log_likelihood));
  EXPECT_TRUE(again.converged);
}

// Mean β over replicates of the 2-bit collapse scenario (models under 4B at chance at B = 2).
TEST(LawBinomial, RecoversBetaWithTwoBitCollapseAndNearChanceRowsKept) {
  test::BinomialNoise noise;
  noise.collapse_bits = 2;
  noise.collapse_below_params = 4e9;
  std::mt19937_64 rng(11);
  const int replicates = 10;
  double beta = 0, alpha = 0;
  int kept_at_chance = 0;
  for (int r = 0; r < replicates; ++r) {
    auto rows = test::binomial_sweep(l3_grid({2, 3, 4, 8}), {"L3"}, {test::kPlantedL3}, noise, rng);
    PreparedData data = prepare_law_data(rows, keep_near_chance());
    kept_at_chance += rows_at_or_below_chance(data.accuracy["L3"]);
    StratumFit fit = fit_stratum("L3", Response::Accuracy, data.accuracy["L3"], all_factors(), SeKind::Cluster,
                                 Estimator::Binomial);
    ASSERT_TRUE(fit.fitted);
    ASSERT_EQ(fit.estimator, Estimator::Binomial);
    beta += fit.ols.coef[coefficient_index(fit, Factor::B)] / replicates;
    alpha += fit.ols.coef[coefficient_index(fit, Factor::N)] / replicates;
  }
  std::printf("binomial: mean beta %+.4f (planted %+.3f), alpha %+.4f (planted %+.3f), %d rows at chance kept\n",
              beta, test::kPlantedL3.beta, alpha, test::kPlantedL3.alpha, kept_at_chance);
  EXPECT_NEAR(beta, test::kPlantedL3.beta, 0.05);
  EXPECT_NEAR(alpha, test::kPlantedL3.alpha, 0.05);
}

TEST(LawBinomial, ClusterRobustIntervalsCoverOnSharedModelSweeps) {
  const int replicates = 200;  // the count: ~4 s (one stratum, IRLS converges in ~5 steps)
  const double three_sd = 3 * std::sqrt(0.95 * 0.05 / replicates);
  const double low = std::min(0.90, 0.95 - three_sd), high = std::max(0.98, 0.95 + three_sd);
  auto grid = l3_grid({3, 4, 8});
  std::mt19937_64 rng(16);
  std::map<Factor, int> covered, covered_classical;
  for (int r = 0; r < replicates; ++r) {
    auto rows = test::binomial_sweep(grid, {"L3"}, {test::kPlantedL3}, test::BinomialNoise{}, rng);
    PreparedData data = prepare_law_data(rows, keep_near_chance());
    StratumFit fit = fit_stratum("L3", Response::Accuracy, data.accuracy["L3"], all_factors(), SeKind::Cluster,
                                 Estimator::Binomial);
    ASSERT_TRUE(fit.fitted);
    for (Factor f : all_factors()) {
      const int k = coefficient_index(fit, f);
      const double truth = planted_exponent(test::kPlantedL3, f);
      covered[f] += fit.ols.ci_low[k] <= truth && truth <= fit.ols.ci_high[k];
      covered_classical[f] += std::fabs(fit.ols.coef[k] - truth) <= 1.96 * fit.ols.se_classical[k];
    }
  }
  std::printf("%d replicates: acceptance band %.3f–%.3f\n", replicates, low, high);
  for (Factor f : all_factors()) {
    const double rate = covered[f] / static_cast<double>(replicates);
    std::printf("L3 %-5s binomial 95%% CI coverage: cluster-robust %.3f, quasi-binomial classical %.3f\n",
                exponent_name(f).c_str(), rate, covered_classical[f] / static_cast<double>(replicates));
    EXPECT_GE(rate, low) << exponent_name(f);
    EXPECT_LE(rate, high) << exponent_name(f);
  }
}

TEST(LawBinomial, WithoutDocumentCountsTheStudyFitsOlsAndSaysSo) {
  std::mt19937_64 rng(3);
  auto rows = test::binomial_sweep(l3_grid({3, 4, 8}), {"L3"}, {test::kPlantedL3}, test::BinomialNoise{}, rng);
  rows[5].n_docs = 0;
  StudyOptions options;
  options.estimator = Estimator::Binomial;
  options.bootstrap_replicates = 0;
  LawStudy study = run_law_study(rows, options, "rows.csv");
  ASSERT_FALSE(study.messages.empty());
  EXPECT_NE(study.messages.front().find("n_docs"), std::string::npos) << study.messages.front();
  const StratumFit* fit = find_fit(study, "L3");
  ASSERT_NE(fit, nullptr);
  EXPECT_EQ(fit->estimator, Estimator::Ols);

  rows[5].n_docs = rows[4].n_docs;
  LawStudy counted = run_law_study(rows, options, "rows.csv");
  EXPECT_EQ(find_fit(counted, "L3")->estimator, Estimator::Binomial);
}

TEST(LawBinomial, CountsOutOfRangeAreAnErrorNamingTheRow) {
  Design x;
  x.rows = 2, x.cols = 1, x.values = {1, 1}, x.names = {"lnA"};
  const std::string message = test::error_of([&] { binomial_fit(x, {{3, 12}, {10, 10}, {0, 0}}, {0.0}, "data.csv"); });
  EXPECT_NE(message.find("data.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("row 2"), std::string::npos) << message;
}

// End to end through the binary: a CSV with n_docs, fitted and reported with the binomial
// estimator (its coefficients equal the library's), and a CSV without the column falls back.
TEST(LawBinomial, FitAndReportCommandsTakeTheEstimator) {
  std::mt19937_64 rng(5);
  auto rows = test::binomial_sweep(l3_grid({3, 4, 8}), {"L3"}, {test::kPlantedL3}, test::BinomialNoise{}, rng);
  test::ScratchDir dir("law_binomial_cli");
  write_file_atomic(dir.file("rows.csv"), observations_to_csv(rows));
  auto fit = test::run_quantscale("fit " + dir.file("rows.csv") + " --estimator binomial --bootstrap 0 --out " +
                                  dir.file("fit.json"));
  ASSERT_EQ(fit.exit_code, 0) << fit.output;
  const nlohmann::json saved = nlohmann::json::parse(read_file(dir.file("fit.json")));
  EXPECT_EQ(saved["estimator"], "binomial") << saved.dump().substr(0, 400);
  PreparedData data = prepare_law_data(rows, keep_near_chance());
  std::vector<double> coef;
  ASSERT_TRUE(fit_coefficients(data.accuracy["L3"], all_factors(), Estimator::Binomial, coef));
  bool compared = false;
  for (const auto& stratum : saved["fits"]) {
    if (stratum["stratum"] != "L3") continue;
    ASSERT_EQ(stratum["coefficients"].size(), coef.size());
    for (size_t k = 0; k < coef.size(); ++k)  // the library's IRLS optimum vs the command's (one more step)
      EXPECT_NEAR(stratum["coefficients"][k]["estimate"].get<double>(), coef[k], 1e-8 * std::max(1.0, std::fabs(coef[k])));
    compared = true;
  }
  EXPECT_TRUE(compared) << "no L3 fit in fit.json";
  EXPECT_NE(fit.output.find("binomial MLE"), std::string::npos) << fit.output;
  auto report = test::run_quantscale("report " + dir.file("rows.csv") + " --estimator binomial --bootstrap 0 --out " +
                                     dir.file("report"));
  EXPECT_EQ(report.exit_code, 0) << report.output;

  // The same rows as a CSV of the version-1 contract: no n_docs column (the last one).
  std::istringstream lines(read_file(dir.file("rows.csv")));
  std::string without_counts, line;
  while (std::getline(lines, line)) without_counts += line.substr(0, line.rfind(',')) + "\n";
  write_file_atomic(dir.file("old.csv"), without_counts);
  auto fallback = test::run_quantscale("fit " + dir.file("old.csv") + " --estimator binomial --bootstrap 0 --out " +
                                       dir.file("old.json"));
  ASSERT_EQ(fallback.exit_code, 0) << fallback.output;
  EXPECT_NE(fallback.output.find("n_docs"), std::string::npos) << fallback.output;
}

}  // namespace
}  // namespace qs::law
