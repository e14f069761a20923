// Prediction intervals cover new points at their nominal rate; the memory model matches the
// DESIGN.md formula worked by hand; recommend returns the cheapest candidate meeting every
// floor; the cluster bootstrap is deterministic and detects a planted between-strata difference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"
#include "law/bootstrap.h"
#include "law/fit_json.h"
#include "law/law_study.h"
#include "law/predict.h"
#include "law/recommend.h"
#include "law/synthetic_sweep.h"
#include "test_support.h"

namespace qs::law {
namespace {

LawStudy small_study(double noise, int bootstrap, uint64_t seed = 1) {
  test::SyntheticGrid grid;
  grid.models = {{"a", 0.6e9}, {"b", 1.7e9}, {"c", 4e9}, {"d", 8e9}};
  grid.bits = {3, 4, 8};
  grid.group_sizes = {32, 128, 1024};
  grid.calib_samples = {8, 128};
  grid.tasks = {{"t1", "L1", 0.0}, {"t3", "L3", 0.25}};
  std::mt19937_64 rng(seed);
  StudyOptions options;
  options.bootstrap_replicates = bootstrap;
  return run_law_study(test::synthetic_sweep(grid, {"L1", "L3"}, {test::kPlantedL1, test::kPlantedL3}, noise, rng), options, "small");
}

// A prediction interval's 95% is marginal over fits: 400 replicated sweeps (4 models × 3 bits ×
// 3 G × 2 Cb = 72 points, σ = 0.1), 10 new points each at random configurations inside the
// grid's range: the interval of Acc_adj holds 95% ± 1.5% of the 4000 (binomial SD 0.34%).
TEST(LawPredict, PredictionIntervalsCoverNewPoints) {
  const double noise = 0.1;
  std::mt19937_64 rng(77);
  std::normal_distribution<double> epsilon(0, noise);
  std::uniform_real_distribution<double> log_n(std::log(0.6e9), std::log(8e9));
  std::vector<int> bits = {3, 4, 8}, groups = {32, 128, 1024}, calibs = {8, 128};
  std::vector<LawPoint> points;
  for (double n : {0.6e9, 1.7e9, 4e9, 8e9})
    for (int b : bits)
      for (int g : groups)
        for (int cb : calibs) points.push_back({"", std::to_string(n), "t3", "L3", n, b, g, cb, 0.25, 0, NAN});
  int covered = 0, total = 0;
  for (int r = 0; r < 400; ++r) {
    for (auto& p : points) p.y = test::planted_y(test::kPlantedL3, p.n_params, p.bits, p.group_size, p.calib_samples) + epsilon(rng);
    StratumFit fit = fit_stratum("L3", Response::Accuracy, points, all_factors());
    ASSERT_TRUE(fit.fitted);
    for (int i = 0; i < 10; ++i, ++total) {
      Configuration c{std::exp(log_n(rng)), bits[rng() % 3], groups[rng() % 3], calibs[rng() % 2]};
      double y = test::planted_y(test::kPlantedL3, c.n_params, c.bits, c.group_size, c.calib_samples) + epsilon(rng);
      double acc_adj = std::exp(-std::exp(y));
      StratumPrediction p = predict_stratum(fit, c);
      EXPECT_LE(p.natural.low, p.natural.value);
      EXPECT_LE(p.natural.value, p.natural.high);
      covered += p.natural.low <= acc_adj && acc_adj <= p.natural.high;
      // Per task: Acc = Acc_rand + (1 − Acc_rand)·Acc_adj with the task's chance level 0.25.
      EXPECT_NEAR(p.task_accuracy.at("t3").value, 0.25 + 0.75 * p.natural.value, 1e-12);
    }
  }
  double rate = covered / static_cast<double>(total);
  std::printf("prediction-interval coverage: %.2f%% of %d\n", 100 * rate, total);
  EXPECT_GE(rate, 0.935);
  EXPECT_LE(rate, 0.965);
}

TEST(LawPredict, FitJsonRoundTripPredictsTheSame) {
  LawStudy study = small_study(0.1, 50);
  LawStudy fit = study_from_json(study_to_json(study), "roundtrip");
  for (const char* stratum : {"L1", "L3", "General", "L0"}) {
    const StratumFit* before = find_fit(study, stratum);
    const StratumFit* after = find_fit(fit, stratum);
    ASSERT_TRUE(before && after && before->fitted && after->fitted) << stratum;
    StratumPrediction a = predict_stratum(*before, {3e9, 3, 64, 32}), b = predict_stratum(*after, {3e9, 3, 64, 32});
    EXPECT_DOUBLE_EQ(a.y.value, b.y.value);
    EXPECT_DOUBLE_EQ(a.y.low, b.y.low);
    EXPECT_EQ(a.task_accuracy.size(), b.task_accuracy.size());
  }
}

TEST(LawPredict, ExtrapolationAndPerChannelAreReported) {
  LawStudy study = small_study(0.05, 0);
  const StratumFit* l1 = find_fit(study, "L1");
  StratumPrediction p = predict_stratum(*l1, {32e9, 4, 128, 128});
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("lies outside the data"), std::string::npos);
  EXPECT_THROW(predict_stratum(*l1, {8e9, 4, -1, 128}), qs::Error);
}

TEST(LawMemory, MatchesTheDesignFormulaByHand) {
  MemoryModel m;
  m.n_params = 8e9;
  m.quantized_params = 7e9;
  // 7e9 · (4 + (16 + 4)/128) / 8 + 1e9 · 2 = 3.63671875e9 + 2e9
  EXPECT_DOUBLE_EQ(quantized_model_bytes(m, 4, 128), 5.63671875e9);
  // 7e9 · (3 + 19/32) / 8 + 2e9 = 3.14453125e9 + 2e9
  EXPECT_DOUBLE_EQ(quantized_model_bytes(m, 3, 32), 5.14453125e9);
  EXPECT_DOUBLE_EQ(parse_bytes("6GiB", "--memory"), 6.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(parse_bytes("5.5 GB", "--memory"), 5.5e9);
  EXPECT_DOUBLE_EQ(parse_count("1.7B", "--params"), 1.7e9);
  EXPECT_THROW(parse_bytes("6 parsecs", "--memory"), qs::Error);
}

TEST(LawRecommend, PicksTheCheapestConfigurationMeetingEveryFloor) {
  LawStudy study = small_study(0.05, 0);
  RecommendOptions options;
  options.n_params = 8e9;
  options.memory_budget = 6.0 * 1024 * 1024 * 1024;
  options.floors = {{"L3", 0.7}, {"L1", 0.6}};
  Recommendation r = recommend(study, options);
  ASSERT_GE(r.best, 0);
  // Brute force over the same candidates, from the planted-law fit's predictions.
  double cheapest = INFINITY;
  for (int b : options.bits)
    for (int g : options.group_sizes)
      for (int cb : options.calib_samples) {
        Configuration c{8e9, b, g, cb};
        bool ok = predict_stratum(*find_fit(study, "L3"), c).natural.value >= 0.7 &&
                  predict_stratum(*find_fit(study, "L1"), c).natural.value >= 0.6;
        double bytes = quantized_model_bytes(r.memory, b, g);
        if (ok && bytes <= options.memory_budget) cheapest = std::min(cheapest, bytes);
      }
  EXPECT_DOUBLE_EQ(r.candidates[r.best].bytes, cheapest);
  EXPECT_GE(r.candidates[r.best].worst_margin, 0);
  // The Pareto front rises in both memory and accuracy.
  for (size_t i = 1; i < r.pareto.size(); ++i) {
    EXPECT_GE(r.candidates[r.pareto[i]].bytes, r.candidates[r.pareto[i - 1]].bytes);
    EXPECT_GT(r.candidates[r.pareto[i]].worst, r.candidates[r.pareto[i - 1]].worst);
  }
  // Unreachable floors say so.
  options.floors = {{"L3", 0.999}};
  Recommendation none = recommend(study, options);
  EXPECT_EQ(none.best, -1);
  EXPECT_EQ(none.messages.back(), "no configuration meets every floor, at any memory");
}

TEST(LawRecommend, RepeatedFloorForOneStratumIsAnError) {
  EXPECT_THROW(parse_floors("L3=0.9,L3=0.8"), qs::Error);
  EXPECT_EQ(parse_floors("L3=0.9,L1=0.8").size(), 2u);
}

// small_study's data has B in 3–8: 2 bits is an extrapolation, left out unless listed.
TEST(LawRecommend, BitWidthsOutsideTheFittedRangeOnlyWhenAsked) {
  LawStudy study = small_study(0.05, 0);
  RecommendOptions options;
  options.n_params = 8e9;
  options.floors = {{"L3", 0.5}};
  Recommendation r = recommend(study, options);
  for (const auto& c : r.candidates) EXPECT_NE(c.config.bits, 2);
  EXPECT_NE(r.messages.front().find("bit widths outside the fitted data left out: 2"), std::string::npos);
  options.bits_given = true;
  Recommendation asked = recommend(study, options);
  EXPECT_TRUE(std::any_of(asked.candidates.begin(), asked.candidates.end(),
                          [](const Candidate& c) { return c.config.bits == 2; }));
}

// Two fitted models of the same N with different non-embedding fractions: recommend asks.
TEST(LawRecommend, SameSizeModelsWithDifferentSplitsNeedNonembedParams) {
  LawStudy study = small_study(0.05, 0);
  study.models.push_back({"twin", "llama", 8e9, 0.7 * 8e9});
  RecommendOptions options;
  options.n_params = 8e9;
  options.floors = {{"L3", 0.5}};
  EXPECT_THROW(recommend(study, options), qs::Error);
  options.nonembed_params = 7e9;
  EXPECT_NO_THROW(recommend(study, options));
}

TEST(LawBootstrap, DeterministicAndDetectsPlantedDifference) {
  LawStudy a = small_study(0.05, 300), b = small_study(0.05, 300);
  const auto& ci_a = a.bootstrap.exponents.at("L3").at(Factor::B);
  const auto& ci_b = b.bootstrap.exponents.at("L3").at(Factor::B);
  EXPECT_EQ(ci_a.low, ci_b.low);
  EXPECT_EQ(ci_a.high, ci_b.high);
  EXPECT_GT(ci_a.replicates, 250);
  const StratumFit* l3 = find_fit(a, "L3");
  int k = coefficient_index(*l3, Factor::B);
  EXPECT_LE(ci_a.low, l3->ols.coef[k]);
  EXPECT_GE(ci_a.high, l3->ols.coef[k]);
  // β_L1 − β_L3 = −0.964 + 1.200 = 0.236 planted: both tests reject equality.
  bool found = false;
  for (const auto& d : a.differences)
    if (d.factor == Factor::B && d.stratum_a == "L1" && d.stratum_b == "L3") {
      found = true;
      EXPECT_NEAR(d.difference, 0.236, 0.05);
      EXPECT_LT(d.p_value, 0.05);  // cluster-robust with 4 models (few df): p cannot be tiny
    }
  EXPECT_TRUE(found);
  for (const auto& d : a.bootstrap.differences)
    if (d.factor == Factor::B && d.stratum_a == "L1" && d.stratum_b == "L3") {
      EXPECT_GT(d.interval.low, 0);
      EXPECT_LT(d.p_value, 0.01);
    }
}

}  // namespace
}  // namespace qs::law
