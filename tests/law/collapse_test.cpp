// Collapse by a rule (src/law/collapse.h): a model at chance at 2 bits is left out as a whole
// (model, bits) cell, so the positive half of its noise does not bias β (issue 15: β_L3 was
// −1.45 against a planted −1.20 when only Acc_adj <= 0 was dropped); --exclude-bits drops a
// bit width with its count; the row rule uses acc_stderr.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "law/collapse.h"
#include "law/law_fit.h"
#include "law/synthetic_sweep.h"

namespace qs::law {
namespace {

test::SyntheticGrid two_bit_grid() {
  auto grid = test::eight_model_grid({{"t0", "L3", 0.0}, {"t25", "L3", 0.25}, {"t50", "L3", 0.5}});
  grid.bits = {2, 3, 4, 8};
  return grid;
}

test::BinomialNoise below_4b_at_chance_at_2_bits() {
  test::BinomialNoise noise;
  noise.collapse_bits = 2;
  noise.collapse_below_params = 4e9;
  return noise;
}

// Mean β over 20 replicates (its sd over replicates is ~0.02, so a bias of 0.05 is many SEs).
double mean_beta(const PrepOptions& options, uint64_t seed, int* collapsed_rows = nullptr) {
  std::mt19937_64 rng(seed);
  double sum = 0;
  const int replicates = 20;
  for (int r = 0; r < replicates; ++r) {
    auto rows = test::binomial_sweep(two_bit_grid(), {"L3"}, {test::kPlantedL3}, below_4b_at_chance_at_2_bits(), rng);
    PreparedData data = prepare_law_data(rows, options);
    StratumFit fit = fit_stratum("L3", Response::Accuracy, data.accuracy["L3"], all_factors());
    EXPECT_TRUE(fit.fitted);
    sum += fit.ols.coef[coefficient_index(fit, Factor::B)];
    if (collapsed_rows != nullptr && r == 0)
      for (const auto& [key, count] : data.excluded)
        if (std::get<2>(key).rfind("collapsed", 0) == 0) *collapsed_rows += count;
  }
  return sum / replicates;
}

TEST(LawCollapse, TwoBitChanceCellsLeftOutWholeKeepBetaUnbiased) {
  int collapsed = 0;
  double beta = mean_beta(PrepOptions{}, 3, &collapsed);
  // Models under 4B: Qwen3-0.6B, 1.7B, Llama-3.2-1B, 3B → 4 models × 16 (G, Cb) × 3 tasks at 2 bits.
  std::printf("default rule: mean beta %+.4f (planted %+.3f), %d rows collapsed in replicate 0\n", beta, test::kPlantedL3.beta,
              collapsed);
  EXPECT_NEAR(beta, test::kPlantedL3.beta, 0.05);
  EXPECT_GE(collapsed, 4 * 16 * 3);
  // The old rule (drop only Acc_adj <= 0, row by row) on the same sweeps: β is far off, so
  // this test fails on code without the rule.
  std::mt19937_64 rng(3);
  double old_sum = 0;
  for (int r = 0; r < 20; ++r) {
    auto rows = test::binomial_sweep(two_bit_grid(), {"L3"}, {test::kPlantedL3}, below_4b_at_chance_at_2_bits(), rng);
    std::vector<LawPoint> points;
    for (const auto& o : rows) {
      double adj = (o.acc - o.acc_rand) / (1 - o.acc_rand);
      if (adj <= 0 || adj >= 1) continue;
      LawPoint p;
      p.model = o.model, p.n_params = static_cast<double>(o.n_params), p.bits = o.bits, p.group_size = o.group_size;
      p.calib_samples = o.calib_samples, p.y = std::log(-std::log(adj));
      points.push_back(p);
    }
    StratumFit fit = fit_stratum("L3", Response::Accuracy, points, all_factors(), SeKind::Classical);
    old_sum += fit.ols.coef[coefficient_index(fit, Factor::B)];
  }
  std::printf("old truncation rule: mean beta %+.4f\n", old_sum / 20);
  EXPECT_GT(std::fabs(old_sum / 20 - test::kPlantedL3.beta), 0.1);
}

TEST(LawCollapse, ExcludeBitsLeavesTheBitWidthOutAndCountsIt) {
  std::mt19937_64 rng(4);
  auto rows = test::binomial_sweep(two_bit_grid(), {"L3"}, {test::kPlantedL3}, below_4b_at_chance_at_2_bits(), rng);
  PrepOptions options;
  options.exclude_bits = {2};
  PreparedData data = prepare_law_data(rows, options);
  for (const auto& p : data.accuracy["L3"]) EXPECT_NE(p.bits, 2);
  int excluded = 0;
  for (const auto& [key, count] : data.excluded)
    if (std::get<0>(key) == "L3" && std::get<1>(key) == 2) {
      EXPECT_EQ(std::get<2>(key), "bit width excluded (--exclude-bits)");
      excluded += count;
    }
  EXPECT_EQ(excluded, 8 * 16 * 3);  // every 2-bit row: 8 models × 16 (G, Cb) × 3 tasks
  StratumFit fit = fit_stratum("L3", Response::Accuracy, data.accuracy["L3"], all_factors());
  EXPECT_NEAR(fit.ols.coef[coefficient_index(fit, Factor::B)], test::kPlantedL3.beta, 0.1);
}

TEST(LawCollapse, RowRuleUsesTheStandardErrorOfAccAdj) {
  Observation o;
  o.acc_rand = 0.25;
  o.acc_stderr = 0.015;  // SE(Acc_adj) = 0.015 / 0.75 = 0.02
  o.acc = 0.25 + 0.75 * 0.039;  // Acc_adj 0.039 < 2·0.02
  EXPECT_TRUE(row_collapsed(o, 2));
  o.acc = 0.25 + 0.75 * 0.041;  // Acc_adj 0.041 > 2·0.02
  EXPECT_FALSE(row_collapsed(o, 2));
  EXPECT_TRUE(row_collapsed(o, 3));
  o.acc_stderr = NAN;  // no standard error: only Acc_adj <= 0 is collapsed
  EXPECT_FALSE(row_collapsed(o, 2));
  o.acc = 0.25;
  EXPECT_TRUE(row_collapsed(o, 2));
}

}  // namespace
}  // namespace qs::law
