// `sweep --keep-checkpoints` under the export's replace rule (gptq_export.h): a point run again
// (a resume after a kill, --retry-failed) replaces the folder its earlier attempt exported, and a
// folder quantscale did not write is never deleted (the point fails and says why).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "quant/gptq_export.h"
#include "sweep/grid.h"
#include "sweep/study.h"
#include "sweep/sweep_fixtures.h"
#include "test_support.h"

namespace qs {
namespace {

namespace fs = std::filesystem;

// Real points (pipeline runner): the fp baseline and one RTN point, small evaluation.
const char* const kCheckpointEvaluation =
    "[evaluation]\ntasks = [\"arc_easy\"]\nlimit = 2\n\n"
    "[perplexity]\ntext = \"${shared}/text/wikitext2/wiki.test.raw\"\nctx = 64\nmax_tokens = 128\n";

TEST(SweepKeepCheckpoints, RerunReplacesItsOwnFolderNeverAForeignOne) {
  test::ScratchDir dir("keep_checkpoints");
  const std::string text = test::tiny_study("out", "methods = [\"rtn\"]\nbits = [4]\ngroup_sizes = [32]\n", kCheckpointEvaluation);
  std::ofstream(dir.file("study.toml")) << text;
  std::string rtn_id;
  for (const auto& point : expand_grid(parse_study(text, dir.file("study.toml"))))
    if (point.method == QuantMethod::Rtn) rtn_id = point.id;
  ASSERT_FALSE(rtn_id.empty());
  const std::string checkpoint = dir.file("out/checkpoints/" + rtn_id);
  const std::string sweep = "--threads 1 sweep " + dir.file("study.toml") + " --keep-checkpoints";

  auto first = test::run_quantscale(sweep);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_TRUE(fs::exists(checkpoint + "/model.safetensors"));
  ASSERT_TRUE(fs::exists(checkpoint + "/" + kExportMarker));

  // A resume after a kill: the checkpoint exists, the store and result file do not.
  auto forget_points = [&] {
    fs::remove_all(dir.file("out/results"));
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(dir.file(std::string("out/results.db") + suffix));
  };
  forget_points();
  write_file_atomic(checkpoint + "/stale.txt", "left by the killed attempt");
  auto resumed = test::run_quantscale(sweep);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_TRUE(fs::exists(checkpoint + "/model.safetensors"));
  EXPECT_FALSE(fs::exists(checkpoint + "/stale.txt")) << "the earlier export was not replaced";

  // A folder the user put there: kept, and the point fails naming the reason.
  forget_points();
  fs::remove_all(checkpoint);
  fs::create_directories(checkpoint);
  write_file_atomic(checkpoint + "/mine.txt", "the user's");
  auto refused = test::run_quantscale(sweep);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output, ::testing::HasSubstr(kExportMarker));
  EXPECT_EQ(read_file(checkpoint + "/mine.txt"), "the user's");
}

}  // namespace
}  // namespace qs
