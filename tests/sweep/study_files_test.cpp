// The shipped study files load, and the CLI reports bad input and full disks clearly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "sweep/grid.h"
#include "sweep/study.h"
#include "sweep/sweep_fixtures.h"
#include "test_support.h"

namespace qs {
namespace {

using ::testing::HasSubstr;

std::string studies_dir() { return std::string(QS_SOURCE_DIR) + "/studies"; }

TEST(SweepStudyFiles, DefaultAndCiStudiesLoad) {
  test::shared_file("models/tinystories-656k/model.safetensors");
  Study full = load_study(studies_dir() + "/default.toml");
  // fp + GPTQ 4 B × 4 G × 2 Cb + RTN 4 B × 4 G, as the file states.
  EXPECT_EQ(expand_grid(full).size(), 1u + 32u + 16u);
  EXPECT_EQ(full.models.at(0).path, test::shared_file("models/tinystories-656k"));
  Study ci = load_study(studies_dir() + "/ci.toml");
  EXPECT_EQ(expand_grid(ci).size(), 1u + 4u + 4u);
  EXPECT_EQ(ci.ppl_text, test::shared_file("text/wikitext2/wiki.test.raw"));
}

TEST(SweepStudyFiles, PaperStudyRestatesThePaperGrid) {
  std::string text = read_file(studies_dir() + "/paper.toml");
  // The model paths are placeholders users edit; point them at the shipped model.
  for (size_t at = text.find("/models/Qwen/"); at != std::string::npos; at = text.find("/models/Qwen/"))
    text.replace(at, text.find('"', at) - at, test::shared_file("models/tinystories-656k"));
  Study paper = parse_study(text, studies_dir() + "/paper.toml");
  EXPECT_EQ(paper.models.size(), 5u);
  EXPECT_EQ(paper.bits, (std::vector<int>{2, 3, 4, 8}));
  EXPECT_EQ(paper.group_sizes, (std::vector<int>{32, 64, 128, 1024}));
  EXPECT_EQ(paper.calib_samples, (std::vector<int>{8, 32, 128, 1024}));
  EXPECT_EQ(expand_grid(paper).size(), 5u * (1u + 4u * 4u * 4u));
}

TEST(SweepStudyFiles, CliReportsBadStudyWithLineAndColumn) {
  test::ScratchDir dir("cli_bad");
  std::ofstream(dir.file("bad.toml")) << "[study]\nname = \"x\"\n[quantization]\nbits = [4,, 3]\n";
  auto result = test::run_quantscale("sweep " + dir.file("bad.toml"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.output, HasSubstr("bad.toml:4:"));
  auto missing = test::run_quantscale("sweep " + dir.file("absent.toml"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.output, HasSubstr("absent.toml: cannot open for reading"));
}

// A real full disk: the output folder on a 192 KiB tmpfs. The sweep must stop with an error
// naming the failure, and the store must hold only whole points.
TEST(SweepStudyFiles, FullDiskStopsTheSweepWithAWholeStore) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root; SweepStore.WriteFailureRollsBackThePoint "
                                        "covers the rollback without it";
  test::ScratchDir dir("full_disk");
  std::string mount_point = dir.file("disk");
  std::filesystem::create_directories(mount_point);
  ASSERT_EQ(::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=192k"), 0) << "mount failed";
  std::ofstream(dir.file("study.toml"))
      << test::tiny_study(mount_point + "/out", "methods = [\"gptq\", \"rtn\"]\nbits = [2, 3, 4, 8]\n"
                                                "group_sizes = [16, 32, 64, 128, 256, -1]\ncalib_samples = [8, 16, 32]\n");
  auto result = test::run_quantscale("--threads 1 sweep " + dir.file("study.toml"));
  std::string copy = dir.file("results.db");
  bool have_store = std::filesystem::exists(mount_point + "/out/results.db");
  if (have_store) {
    // Checkpoint the WAL into the copy's main file through SQLite itself.
    test::run_shell("sqlite3 " + mount_point + "/out/results.db \".backup " + copy + "\"");
  }
  ::umount(mount_point.c_str());
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, ::testing::AnyOf(HasSubstr("No space left"), HasSubstr("full")));
  ASSERT_TRUE(have_store) << result.output;
  EXPECT_EQ(test::query_rows(copy, "PRAGMA integrity_check").at(0), "ok");
  auto per_point = test::query_rows(copy, "SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM task_metrics t "
                                          "WHERE t.point_id = r.point_id) <> 2");
  EXPECT_EQ(per_point.at(0), "0");  // every recorded point is whole
}

}  // namespace
}  // namespace qs
