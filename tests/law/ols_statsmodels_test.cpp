// src/law/ols.cpp against statsmodels 0.13 (tests/reference/ols_statsmodels.py, Debian's
// /usr/bin/python3) on data this test writes: coefficients, classical and HC3 SEs, t, p, CIs,
// R², adjusted R², overall F and nested F-tests agree to 1e-9 relative.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/atomic_file.h"
#include "law/ablation.h"
#include "law/law_fit.h"
#include "law/ols.h"
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

// Writes the design and y, runs statsmodels with the nested subsets, returns its JSON.
nlohmann::json run_statsmodels(const test::ScratchDir& dir, const Design& x, const std::vector<double>& y,
                               const std::vector<std::string>& nested) {
  std::string csv;
  for (const auto& name : x.names) csv += name + ",";
  csv += "y\n";
  char buffer[40];
  for (int r = 0; r < x.rows; ++r) {
    for (int c = 0; c < x.cols; ++c) {
      std::snprintf(buffer, sizeof buffer, "%.17g,", x.at(r, c));
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
  StratumFit fit = fit_stratum("L1", Response::Accuracy, points, all_factors());
  auto steps = nested_ablation(fit, points);
  ASSERT_EQ(steps.size(), 3u);
  ASSERT_TRUE(steps[2].has_test);
  expect_close(steps[2].test.f, ref["nested"][1]["f"], "ablation +Cb F");
  expect_close(steps[2].test.p_value, ref["nested"][1]["p"], "ablation +Cb p");
  expect_close(steps[2].r2 - steps[2].delta_r2, ref["nested"][1]["rsquared"], "ablation R2 before +Cb");
}

}  // namespace
}  // namespace qs::law
