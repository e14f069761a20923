// The law reads a real results store: a sweep (synthetic runner, shipped 656K model) writes
// results.db with its law_observations view, and `quantscale fit` / `report` read it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "law/observations.h"
#include "sweep/sweep_fixtures.h"
#include "test_support.h"

namespace qs::law {
namespace {

using ::testing::HasSubstr;

TEST(LawStore, FitsTheSweepStoreThroughItsView) {
  test::ScratchDir dir("law_store");
  std::string grid =
      "methods = [\"gptq\"]\nbits = [3, 4, 8]\ngroup_sizes = [32, 128]\ncalib_samples = [8, 128]\nseeds = [0]\n";
  write_file_atomic(dir.file("study.toml"), test::tiny_study(dir.file("out"), grid));
  auto sweep = test::run_quantscale("--threads 1 sweep " + dir.file("study.toml"));
  ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
  std::string store = dir.file("out/results.db");
  auto rows = load_observations(store);
  ASSERT_FALSE(rows.empty());
  bool any_fp = false, any_ppl_fp = false;
  for (const auto& o : rows) {
    any_fp = any_fp || o.method == "fp";
    any_ppl_fp = any_ppl_fp || o.ppl_fp > 0;
    EXPECT_GT(o.n_params, 0);
  }
  EXPECT_TRUE(any_fp) << "the sweep records a full-precision baseline";
  EXPECT_TRUE(any_ppl_fp) << "the view carries the baseline perplexity";
  // One model: α cannot be estimated, the rest can.
  auto fit = test::run_quantscale("fit " + store + " --out " + dir.file("fit.json"));
  ASSERT_EQ(fit.exit_code, 0) << fit.output;
  EXPECT_THAT(fit.output, HasSubstr("α (N) not identifiable: one model only"));
  EXPECT_THAT(fit.output, HasSubstr("full-precision baseline (reference, not fitted)"));
  // The store carries each task's document count (schema 2) for the binomial estimator. The
  // shipped model is at chance on every task, so its whole (model, bits) cells are collapsed
  // (rule 2 holds for the binomial estimator too): the accuracy strata say so and only L0 fits.
  for (const auto& o : rows) EXPECT_GT(o.n_docs, 0) << o.point_id << " " << o.task;
  auto binomial = test::run_quantscale("fit " + store + " --estimator binomial --out " + dir.file("fit_binomial.json"));
  EXPECT_EQ(binomial.exit_code, 0) << binomial.output;
  EXPECT_THAT(binomial.output, HasSubstr("collapsed (model at chance at this bit width")) << binomial.output;
  EXPECT_THAT(binomial.output, HasSubstr("nothing can be estimated")) << binomial.output;
  auto predict = test::run_quantscale("predict " + dir.file("fit.json") + " --params 656e3 --bits 4 --group-size 64 "
                                      "--calib-samples 32");
  EXPECT_EQ(predict.exit_code, 0) << predict.output;
  auto report = test::run_quantscale("report " + store + " --out " + dir.file("report"));
  EXPECT_EQ(report.exit_code, 0) << report.output;
}

}  // namespace
}  // namespace qs::law
