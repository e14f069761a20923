// What cannot be estimated is said clearly: empty store, a stratum with < 6 usable points,
// all points collapsed, one model only (α not identifiable), three models (α's uncertainty not
// estimable by model), one group size, malformed input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "core/atomic_file.h"
#include "core/error.h"
#include "law/fit_json.h"
#include "law/law_study.h"
#include "law/observations.h"
#include "law/synthetic_sweep.h"
#include "test_support.h"

namespace qs::law {
namespace {

using ::testing::HasSubstr;

const test::PlantedLaw kLaw{6.3, -0.32, -1.2, -0.025, 0.085};

std::vector<Observation> sweep(std::vector<std::pair<std::string, double>> models, std::vector<int> groups,
                               std::vector<test::SyntheticTask> tasks) {
  test::SyntheticGrid grid;
  grid.models = std::move(models);
  grid.bits = {3, 4, 8};
  grid.group_sizes = std::move(groups);
  grid.calib_samples = {32, 128};
  grid.tasks = std::move(tasks);
  std::mt19937_64 rng(5);
  return test::synthetic_sweep(grid, {"L1", "L2", "L3"}, {kLaw, kLaw, kLaw}, 0.05, rng);
}

const std::vector<std::pair<std::string, double>> kModels = {{"a", 0.6e9}, {"b", 1.7e9}, {"c", 4e9}};

TEST(LawBadInput, EmptyStoreSaysSo) {
  test::ScratchDir dir("law_empty");
  test::write_observation_store(dir.file("empty.db"), {});
  auto run = test::run_quantscale("fit " + dir.file("empty.db"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("store is empty"));
  write_file_atomic(dir.file("empty.csv"), observations_to_csv({}));
  run = test::run_quantscale("fit " + dir.file("empty.csv"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("store is empty"));
}

TEST(LawBadInput, StratumWithTooFewPointsIsNamedAndOthersStillFit) {
  auto rows = sweep(kModels, {32, 128}, {{"t1", "L1", 0.0}});
  // L3: only 4 usable rows.
  for (int i = 0; i < 4; ++i) {
    Observation o = rows[20 + i];
    o.task = "gsm8k";
    o.stratum = "L3";
    rows.push_back(o);
  }
  StudyOptions options;
  options.bootstrap_replicates = 0;
  LawStudy study = run_law_study(rows, options, "few");
  const StratumFit* l3 = find_fit(study, "L3");
  ASSERT_NE(l3, nullptr);
  EXPECT_FALSE(l3->fitted);
  ASSERT_FALSE(l3->messages.empty());
  EXPECT_THAT(l3->messages[0], HasSubstr("4 usable point(s), fewer than 6: nothing can be estimated"));
  EXPECT_TRUE(find_fit(study, "L1")->fitted);
}

TEST(LawBadInput, AllCollapsedExplainsEveryStratum) {
  auto rows = sweep(kModels, {32, 128}, {{"t1", "L1", 0.25}, {"t2", "L3", 0.25}});
  for (auto& o : rows) {
    o.acc = 0.2;  // below chance everywhere
    o.ppl = NAN;
  }
  test::ScratchDir dir("law_collapsed");
  write_file_atomic(dir.file("collapsed.csv"), observations_to_csv(rows));
  auto run = test::run_quantscale("fit " + dir.file("collapsed.csv") + " --bootstrap 0");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("no stratum can be fitted"));
  EXPECT_THAT(run.output, HasSubstr("L1: 0 usable point(s)"));
  EXPECT_THAT(run.output, HasSubstr("collapsed (model at chance at this bit width"));
}

// kModels has 3 models: the cluster-robust interval of α would rest on 3 numbers; it is
// reported as not estimable, with the bootstrap beside, while β keeps its interval.
TEST(LawBadInput, ThreeModelsSayAlphaUncertaintyCannotBeEstimated) {
  StudyOptions options;
  options.bootstrap_replicates = 50;
  LawStudy study = run_law_study(sweep(kModels, {32, 128}, {{"t1", "L1", 0.0}, {"t2", "L1", 0.25}}), options, "three");
  const StratumFit* l1 = find_fit(study, "L1");
  ASSERT_TRUE(l1 != nullptr && l1->fitted);
  int alpha = coefficient_index(*l1, Factor::N), beta = coefficient_index(*l1, Factor::B);
  EXPECT_TRUE(std::isnan(l1->ols.ci_low[alpha]));
  EXPECT_FALSE(std::isnan(l1->ols.ci_low[beta]));
  bool said = false;
  for (const auto& m : l1->messages) said = said || m.find("α's uncertainty cannot be estimated") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_GT(study.bootstrap.exponents.at("L1").at(Factor::N).replicates, 0);
}

TEST(LawBadInput, OneModelOnlyLeavesAlphaOutWithAMessage) {
  auto rows = sweep({{"only", 4e9}}, {32, 128}, {{"t1", "L1", 0.0}, {"t2", "L1", 0.25}});
  test::ScratchDir dir("law_one_model");
  test::write_observation_store(dir.file("one.db"), rows);
  auto run = test::run_quantscale("fit " + dir.file("one.db") + " --out " + dir.file("fit.json"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("α (N) not identifiable: one model only (N = 4e+09); left out of the fit"));
  EXPECT_THAT(run.output, HasSubstr("leave-one-model-out needs at least 3 models"));
  EXPECT_THAT(run.output, HasSubstr("cluster bootstrap skipped"));
  LawStudy fit = load_fit_file(dir.file("fit.json"));
  const StratumFit* l1 = find_fit(fit, "L1");
  ASSERT_TRUE(l1 != nullptr && l1->fitted);
  EXPECT_EQ(coefficient_index(*l1, Factor::N), -1);
  EXPECT_EQ(l1->held_constant.at(Factor::N), 4e9);
  // Predicting another size says the law cannot speak to N.
  auto predict = test::run_quantscale("predict " + dir.file("fit.json") + " --params 8e9 --bits 4");
  EXPECT_EQ(predict.exit_code, 0) << predict.output;
  EXPECT_THAT(predict.output, HasSubstr("N was 4e+09 throughout the data of stratum L1 and is not in its law"));
}

TEST(LawBadInput, ConstantGroupSizeLeavesDeltaOut) {
  StudyOptions options;
  options.bootstrap_replicates = 0;
  LawStudy study = run_law_study(sweep(kModels, {128}, {{"t1", "L1", 0.0}}), options, "one-g");
  const StratumFit* l1 = find_fit(study, "L1");
  ASSERT_TRUE(l1->fitted);
  EXPECT_EQ(coefficient_index(*l1, Factor::G), -1);
  EXPECT_GE(coefficient_index(*l1, Factor::N), 0);
  EXPECT_THAT(l1->messages[0], HasSubstr("δ (G) not identifiable: only one value of G (G = 128)"));
}

TEST(LawBadInput, MalformedInputNamesFileRowAndColumn) {
  test::ScratchDir dir("law_malformed");
  // A SQLite file without the view.
  test::write_observation_store(dir.file("store.db"), {});
  test::run_shell("sqlite3 " + dir.file("store.db") + " 'DROP TABLE law_observations; CREATE TABLE other(x)'");
  auto run = test::run_quantscale("fit " + dir.file("store.db"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("cannot read the law_observations view"));
  // CSV lacking a column.
  write_file_atomic(dir.file("missing.csv"), "point_id,model\np,m\n");
  run = test::run_quantscale("fit " + dir.file("missing.csv"));
  EXPECT_THAT(run.output, HasSubstr("missing.csv:1: CSV header lacks column 'architecture'"));
  // A bad number on line 3.
  auto rows = sweep(kModels, {32}, {{"t1", "L1", 0.0}});
  std::string csv = observations_to_csv({rows[0], rows[1]});
  size_t line3 = csv.find('\n', csv.find('\n') + 1) + 1;
  size_t acc_field = line3;
  for (int commas = 0; commas < 13; ++acc_field) commas += csv[acc_field] == ',';
  csv.replace(acc_field, csv.find(',', acc_field) - acc_field, "0.7x");
  write_file_atomic(dir.file("bad.csv"), csv);
  run = test::run_quantscale("fit " + dir.file("bad.csv"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("bad.csv:3, column acc: not a number: '0.7x'"));
  run = test::run_quantscale("fit " + dir.file("missing.csv") + " --factors N,Q");
  EXPECT_THAT(run.output, HasSubstr("unknown factor 'Q'"));
  run = test::run_quantscale("fit " + dir.file("nonexistent.db"));
  EXPECT_THAT(run.output, HasSubstr("cannot open"));
}

TEST(LawObservations, SqliteAndCsvReadTheSameRows) {
  test::ScratchDir dir("law_observations");
  auto rows = sweep(kModels, {32, 128}, {{"t,1 \"quoted\"", "L1", 0.25}});
  rows[3].ppl = NAN;
  test::write_observation_store(dir.file("s.db"), rows);
  write_file_atomic(dir.file("s.csv"), observations_to_csv(rows));
  auto from_db = load_observations(dir.file("s.db"));
  auto from_csv = load_observations(dir.file("s.csv"));
  ASSERT_EQ(from_db.size(), rows.size());
  ASSERT_EQ(from_csv.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    for (const auto* r : {&from_db[i], &from_csv[i]}) {
      EXPECT_EQ(r->point_id, rows[i].point_id);
      EXPECT_EQ(r->task, rows[i].task);
      EXPECT_EQ(r->n_params, rows[i].n_params);
      EXPECT_EQ(r->group_size, rows[i].group_size);
      EXPECT_EQ(r->method, rows[i].method);
      EXPECT_EQ(r->acc, rows[i].acc);  // exact: %.17g round-trips doubles
      EXPECT_EQ(std::isnan(r->ppl), std::isnan(rows[i].ppl));
    }
  }
}

}  // namespace
}  // namespace qs::law
