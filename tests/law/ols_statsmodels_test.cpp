// src/law/ols.cpp against statsmodels 0.13 (tests/reference/ols_statsmodels.py, Debian's
// /usr/bin/python3) on data this test writes: coefficients, classical and HC3 SEs, t, p, CIs,
// R², adjusted R², overall F and nested F-tests agree to 1e-9 relative; the cluster-robust
// (CR1 by model, t(G−1)) SEs, covariance, t, p, CIs and Wald F-tests of
// src/law/robust_inference.cpp against cov_type='cluster' to 1e-8 relative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "core/atomic_file.h"
#include "law/ablation.h"
#include "law/law_fit.h"
#include "law/ols.h"
#include "law/robust_inference.h"
#include "law/synthetic_sweep.h"
#include "test_support.h"

namespace qs::law {
namespace {

constexpr double kRelTol = 1e-9;
double worst_relative_error = 0;  // printed per test for the closing note

void expect_close(double ours, double reference, const std::string& what) {
  double scale = std::max(std::fabs(reference), 1e-300);
  worst_relative_error = std::max(worst_relative_error, std::fabs(ours - reference) / scale);
  EXPECT_LE(std::fabs(ours - reference) / scale, kRelTol) << what << ": ours " << ours << " statsmodels " << reference;
}

// Relative agreement within `tol`, keeping the worst ratio for the printed figure.
struct RelativeAgreement {
  double tol;
  double worst = 0;
  void operator()(double ours, double theirs, const std::string& what) {
    const double scale = std::max(std::fabs(theirs), 1e-300);
    worst = std::max(worst, std::fabs(ours - theirs) / scale);
    EXPECT_LE(std::fabs(ours - theirs), tol * scale) << what << ": ours " << ours << " reference " << theirs;
  }
};

// Writes the design and y, runs statsmodels with the nested subsets, returns its JSON.
// `groups` (optional): the cluster of each row, written as the `group` column; `weights`
// (optional): WLS weights, the `weight` column.
nlohmann::json run_statsmodels(const test::ScratchDir& dir, const Design& x, const std::vector<double>& y,
                               const std::vector<std::string>& nested, const std::vector<int>& groups = {},
                               const std::vector<double>& weights = {}) {
  std::string csv;
  for (const auto& name : x.names) csv += name + ",";
  if (!groups.empty()) csv += "group,";
  if (!weights.empty()) csv += "weight,";
  csv += "y\n";
  char buffer[40];
  for (int r = 0; r < x.rows; ++r) {
    for (int c = 0; c < x.cols; ++c) {
      std::snprintf(buffer, sizeof buffer, "%.17g,", x.at(r, c));
      csv += buffer;
    }
    if (!groups.empty()) csv += std::to_string(groups[r]) + ",";
    if (!weights.empty()) {
      std::snprintf(buffer, sizeof buffer, "%.17g,", weights[r]);
      csv += buffer;
    }
    std::snprintf(buffer, sizeof buffer, "%.17g\n", y[r]);
    csv += buffer;
  }
  write_file_atomic(dir.file("data.csv"), csv);
  std::string args = dir.file("data.csv") + " " + dir.file("out.json");
  for (const auto& n : nested) args += " " + n;
  auto result = test::run_reference("ols_statsmodels.py", args);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return nlohmann::json::parse(read_file(dir.file("out.json")));
}

void compare(const OlsResult& ours, const nlohmann::json& ref) {
  for (int k = 0; k < ours.p; ++k) {
    std::string name = ours.names[k];
    expect_close(ours.coef[k], ref["params"][k], name + " coef");
    expect_close(ours.se[k], ref["bse"][k], name + " se");
    expect_close(ours.se_hc3[k], ref["HC3_se"][k], name + " HC3 se");
    expect_close(ours.t[k], ref["tvalues"][k], name + " t");
    expect_close(ours.p_value[k], ref["pvalues"][k], name + " p");
    expect_close(ours.ci_low[k], ref["ci_low"][k], name + " ci low");
    expect_close(ours.ci_high[k], ref["ci_high"][k], name + " ci high");
  }
  expect_close(ours.r2, ref["rsquared"], "R2");
  expect_close(ours.adj_r2, ref["rsquared_adj"], "adj R2");
  expect_close(ours.rss, ref["ssr"], "RSS");
  expect_close(ours.f_statistic, ref["fvalue"], "F");
  expect_close(ours.f_p_value, ref["f_pvalue"], "F p");
  // statsmodels computes condno from eigenvalues of XᵀX: a squared, less exact route.
  std::printf("worst relative difference to statsmodels so far: %.3g\n", worst_relative_error);
  EXPECT_NEAR(ours.condition_number / ref["condition_number"].get<double>(), 1.0, 1e-6);
}

TEST(LawOlsStatsmodels, HeteroscedasticDesignMatchesToOneInABillion) {
  test::ScratchDir dir("ols_statsmodels_generic");
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0, 1);
  Design x;
  x.rows = 150;
  x.cols = 5;
  x.names = {"const", "x1", "x2", "x3", "x4"};
  std::vector<double> y;
  for (int r = 0; r < x.rows; ++r) {
    double x1 = normal(rng), x2 = 3 + normal(rng), x3 = 0.5 * x1 + normal(rng), x4 = std::fabs(normal(rng));
    x.values.insert(x.values.end(), {1.0, x1, x2, x3, x4});
    y.push_back(0.3 + 1.5 * x1 - 0.2 * x2 + 0.05 * x3 + 0.01 * x4 + (0.2 + x4) * normal(rng));  // heteroscedastic
  }
  auto ours = ols_fit(x, y);
  auto ref = run_statsmodels(dir, x, y, {"const,x1,x2", "const,x1,x2,x3"});
  compare(ours, ref);
  // Nested F-tests against statsmodels' compare_f_test.
  std::vector<std::vector<int>> subsets = {{0, 1, 2}, {0, 1, 2, 3}};
  for (size_t s = 0; s < subsets.size(); ++s) {
    Design restricted;
    restricted.rows = x.rows;
    restricted.cols = static_cast<int>(subsets[s].size());
    for (int c : subsets[s]) restricted.names.push_back(x.names[c]);
    for (int r = 0; r < x.rows; ++r)
      for (int c : subsets[s]) restricted.values.push_back(x.at(r, c));
    auto test = nested_f_test(ols_fit(restricted, y), ours);
    expect_close(test.f, ref["nested"][s]["f"], "nested F " + std::to_string(s));
    expect_close(test.p_value, ref["nested"][s]["p"], "nested F p " + std::to_string(s));
    EXPECT_EQ(test.df_num, ref["nested"][s]["df_diff"].get<double>());
  }
}

TEST(LawOlsStatsmodels, LawDesignFromAPaperGridMatches) {
  // The law's own design (ln N ≈ 20–23 beside an intercept: ill-conditioned as real sweeps are).
  test::ScratchDir dir("ols_statsmodels_law");
  std::mt19937_64 rng(11);
  test::PlantedLaw law{1.5, -0.3, -1.1, -0.03, 0.07};
  auto grid = test::paper_grid({{"t1", "L1", 0.0}, {"t2", "L1", 0.25}});
  auto rows = test::synthetic_sweep(grid, {"L1"}, {law}, 0.05, rng, false);
  auto data = prepare_law_data(rows, PrepOptions{});
  const auto& points = data.accuracy["L1"];
  Design x = build_design(points, all_factors());
  std::vector<double> y;
  for (const auto& p : points) y.push_back(p.y);
  auto ours = ols_fit(x, y);
  auto ref = run_statsmodels(dir, x, y, {"lnA,alpha,beta", "lnA,alpha,beta,delta"});
  compare(ours, ref);
  auto f_nb = nested_f_test(ols_fit(build_design(points, {Factor::N, Factor::B}), y), ours);
  expect_close(f_nb.f, ref["nested"][0]["f"], "F (N,B) vs full");
  expect_close(f_nb.p_value, ref["nested"][0]["p"], "F p (N,B) vs full");
  // The ablation's last step (+Cb over N,B,G) is the same comparison as nested[1].
  StratumFit fit = fit_stratum("L1", Response::Accuracy, points, all_factors(), SeKind::Classical);
  auto steps = nested_ablation(fit, points);
  ASSERT_EQ(steps.size(), 3u);
  ASSERT_TRUE(steps[2].has_test);
  expect_close(steps[2].test.f, ref["nested"][1]["f"], "ablation +Cb F");
  expect_close(steps[2].test.p_value, ref["nested"][1]["p"], "ablation +Cb p");
  expect_close(steps[2].r2 - steps[2].delta_r2, ref["nested"][1]["rsquared"], "ablation R2 before +Cb");
}

// The issue-15 scenario (8 models sharing per-model offsets, binomial noise): CR1 inference of
// one stratum and its ablation's Wald tests against statsmodels' cluster covariance; the
// default CR2 with Bell–McCaffrey df against tests/reference/cr2_reference.py.
TEST(LawOlsStatsmodels, ClusterRobustByModelMatchesStatsmodelsCluster) {
  test::ScratchDir dir("ols_statsmodels_cluster");
  std::mt19937_64 rng(15);
  std::vector<test::SyntheticTask> tasks = {{"t0", "L3", 0.0}, {"t25", "L3", 0.25}, {"t50", "L3", 0.5}};
  auto rows = test::binomial_sweep(test::eight_model_grid(tasks), {"L3"}, {{6.3, -0.320, -1.200, -0.025, 0.085}},
                                   test::BinomialNoise{}, rng);
  auto data = prepare_law_data(rows, PrepOptions{});
  const auto& points = data.accuracy["L3"];
  StratumFit fit = fit_stratum("L3", Response::Accuracy, points, all_factors(), SeKind::Cr1);
  ASSERT_TRUE(fit.fitted);
  ASSERT_EQ(fit.ols.se_kind, SeKind::Cr1);
  EXPECT_EQ(fit.ols.clusters, 8);
  std::map<std::string, int> model_index;
  std::vector<int> groups;
  for (const auto& p : points) groups.push_back(model_index.emplace(p.model, static_cast<int>(model_index.size())).first->second);
  std::vector<double> y;
  for (const auto& p : points) y.push_back(p.y);
  auto ref = run_statsmodels(dir, build_design(points, all_factors()), y, {"lnA,alpha,beta,delta", "lnA,alpha,beta"},
                             groups);
  const auto& cluster = ref["cluster"];
  EXPECT_EQ(fit.ols.df_inference, cluster["df"].get<double>());
  RelativeAgreement close{1e-8};
  for (int k = 0; k < fit.ols.p; ++k) {
    close(fit.ols.se[k], cluster["bse"][k], fit.ols.names[k] + " cluster se");
    close(fit.ols.t[k], cluster["tvalues"][k], fit.ols.names[k] + " cluster t");
    close(fit.ols.p_value[k], cluster["pvalues"][k], fit.ols.names[k] + " cluster p");
    close(fit.ols.ci_low[k], cluster["ci_low"][k], fit.ols.names[k] + " cluster ci low");
    close(fit.ols.ci_high[k], cluster["ci_high"][k], fit.ols.names[k] + " cluster ci high");
    for (int j = 0; j < fit.ols.p; ++j)
      close(fit.ols.cov[static_cast<size_t>(k) * fit.ols.p + j], cluster["cov"][k][j], "cluster cov");
  }
  // Classical inference is still there beside it.
  for (int k = 0; k < fit.ols.p; ++k) close(fit.ols.se_classical[k], ref["bse"][k], "classical se");
  // The ablation's last step (+Cb) tests γ = 0 in the full model: statsmodels' Wald test of
  // the coefficient the first restricted model drops.
  auto steps = nested_ablation(fit, points);
  ASSERT_EQ(steps.size(), 3u);
  close(steps[2].test.f, cluster["wald"][0]["f"], "ablation +Cb Wald F");
  close(steps[2].test.p_value, cluster["wald"][0]["p"], "ablation +Cb Wald p");
  EXPECT_EQ(steps[2].test.df_den, 7);
  // A two-coefficient Wald test (δ = γ = 0) on the full fit.
  NestedFTest two = wald_test(fit.ols, {3, 4});
  close(two.f, cluster["wald"][1]["f"], "Wald F (delta, gamma)");
  close(two.p_value, cluster["wald"][1]["p"], "Wald p (delta, gamma)");
  EXPECT_EQ(two.df_num, 2);
  std::printf("CR1: worst relative difference to statsmodels %.3g\n", close.worst);

  // The default: CR2 with Bell–McCaffrey df per coefficient, against the dense reference.
  close.worst = 0;
  StratumFit cr2 = fit_stratum("L3", Response::Accuracy, points, all_factors());
  ASSERT_EQ(cr2.ols.se_kind, SeKind::Cluster);
  auto result = test::run_reference("cr2_reference.py", dir.file("data.csv") + " " + dir.file("cr2.json"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto ref2 = nlohmann::json::parse(read_file(dir.file("cr2.json")));
  for (int k = 0; k < cr2.ols.p; ++k) {
    close(cr2.ols.se[k], ref2["bse"][k], cr2.ols.names[k] + " CR2 se");
    close(cr2.ols.df_coef[k], ref2["df"][k], cr2.ols.names[k] + " Bell–McCaffrey df");
    close(cr2.ols.ci_low[k], ref2["ci_low"][k], cr2.ols.names[k] + " CR2 ci low");
    close(cr2.ols.ci_high[k], ref2["ci_high"][k], cr2.ols.names[k] + " CR2 ci high");
    std::printf("%s: CR2 se %.5f (CR1 %.5f), Bell–McCaffrey df %.2f\n", cr2.ols.names[k].c_str(), cr2.ols.se[k],
                fit.ols.se[k], cr2.ols.df_coef[k]);
  }
  std::printf("CR2: worst relative difference to the reference %.3g\n", close.worst);
}

// --estimator wls on the same kind of sweep: weights 1/se_y² (delta method from acc_stderr)
// against statsmodels WLS: coefficients, classical, HC3 and cluster-robust SEs, weighted R².
TEST(LawOlsStatsmodels, WeightedLeastSquaresMatchesStatsmodelsWls) {
  test::ScratchDir dir("ols_statsmodels_wls");
  std::mt19937_64 rng(16);
  std::vector<test::SyntheticTask> tasks = {{"t0", "L1", 0.0}, {"t25", "L1", 0.25}, {"t50", "L1", 0.5}};
  auto rows = test::binomial_sweep(test::eight_model_grid(tasks), {"L1"}, {{5.8, -0.315, -0.964, -0.040, 0.064}},
                                   test::BinomialNoise{}, rng);
  auto data = prepare_law_data(rows, PrepOptions{});
  const auto& points = data.accuracy["L1"];
  StratumFit fit = fit_stratum("L1", Response::Accuracy, points, all_factors(), SeKind::Cr1, Estimator::Wls);
  ASSERT_TRUE(fit.fitted);
  ASSERT_EQ(fit.estimator, Estimator::Wls) << (fit.messages.empty() ? "" : fit.messages[0]);
  std::map<std::string, int> model_index;
  std::vector<int> groups;
  for (const auto& p : points) groups.push_back(model_index.emplace(p.model, static_cast<int>(model_index.size())).first->second);
  std::vector<double> y;
  for (const auto& p : points) y.push_back(p.y);
  std::vector<double> weights = wls_weights(points);
  ASSERT_EQ(weights.size(), points.size());
  auto ref = run_statsmodels(dir, build_design(points, all_factors()), y, {"lnA,alpha,beta,delta"}, groups, weights);
  RelativeAgreement close{1e-8};
  for (int k = 0; k < fit.ols.p; ++k) {
    close(fit.ols.coef[k], ref["params"][k], fit.ols.names[k] + " WLS coef");
    close(fit.ols.se_classical[k], ref["bse"][k], fit.ols.names[k] + " WLS classical se");
    close(fit.ols.se_hc3[k], ref["HC3_se"][k], fit.ols.names[k] + " WLS HC3 se");
    close(fit.ols.se[k], ref["cluster"]["bse"][k], fit.ols.names[k] + " WLS cluster se");
    close(fit.ols.ci_low[k], ref["cluster"]["ci_low"][k], fit.ols.names[k] + " WLS cluster ci low");
  }
  close(fit.ols.r2, ref["rsquared"], "WLS R2");
  close(fit.ols.adj_r2, ref["rsquared_adj"], "WLS adj R2");
  close(fit.ols.rss, ref["ssr"], "WLS ssr");
  close(fit.ols.f_statistic, ref["fvalue"], "WLS F");
  auto steps = nested_ablation(fit, points);
  ASSERT_EQ(steps.size(), 3u);
  close(steps[2].test.f, ref["cluster"]["wald"][0]["f"], "WLS ablation +Cb Wald F");
  // The weights differ across points by more than an order of magnitude (the 23-fold
  // variance spread), so WLS is not OLS in disguise.
  auto [lo, hi] = std::minmax_element(weights.begin(), weights.end());
  std::printf("WLS weights span %.1f-fold; worst relative difference to statsmodels %.3g\n", *hi / *lo, close.worst);
  EXPECT_GT(*hi / *lo, 10);
}

}  // namespace
}  // namespace qs::law
