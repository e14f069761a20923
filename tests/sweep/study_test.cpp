// Study files: parsing, validation errors with line and column, grid expansion, point ids.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "sweep/grid.h"
#include "sweep/study.h"
#include "sweep/sweep_fixtures.h"
#include "test_support.h"

namespace qs {
namespace {

using ::testing::HasSubstr;

const char* const kStudyGrid =
    "methods = [\"gptq\", \"rtn\"]\nbits = [2, 3]\ngroup_sizes = [32, \"channel\"]\n"
    "calib_samples = [8, 32]\nseeds = [0, 1]\n";

std::string error_of(const std::string& text) {
  try {
    parse_study(text, "study.toml");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SweepStudy, ParsesTheTinyStudy) {
  Study study = parse_study(test::tiny_study("out", kStudyGrid), "/tmp/x/study.toml");
  EXPECT_EQ(study.name, "tiny");
  EXPECT_EQ(study.output_dir, "/tmp/x/out");  // relative to the study file's folder
  ASSERT_EQ(study.models.size(), 1u);
  EXPECT_EQ(study.models[0].name, "tinystories-656k");
  EXPECT_EQ(study.models[0].path, test::shared_file("models/tinystories-656k"));
  EXPECT_EQ(study.group_sizes, (std::vector<int>{32, -1}));
  EXPECT_EQ(study.calib_seq_len, 64);
  EXPECT_EQ(study.limit, 8);
}

TEST(SweepStudy, MalformedTomlNamesLineAndColumn) {
  std::string text = test::tiny_study("out", kStudyGrid);
  text.insert(text.find("[evaluation]"), "broken = [1, 2\n");
  int line = 1;
  for (char c : text.substr(0, text.find("broken"))) line += c == '\n';
  EXPECT_THAT(error_of(text), HasSubstr("study.toml:" + std::to_string(line + 1) + ":"));
}

TEST(SweepStudy, UnknownKeyIsAnErrorAtItsLine) {
  std::string text = test::tiny_study("out", kStudyGrid);
  text.insert(text.find("limit = 8"), "limits = 8\n");
  int line = 1;
  for (char c : text.substr(0, text.find("limits"))) line += c == '\n';
  std::string error = error_of(text);
  EXPECT_THAT(error, HasSubstr("study.toml:" + std::to_string(line) + ":1"));
  EXPECT_THAT(error, HasSubstr("unknown key 'limits'"));
}

TEST(SweepStudy, UnknownTask) {
  std::string text = test::tiny_study("out", kStudyGrid);
  text.replace(text.find("\"piqa\""), 6, "\"piqaa\"");
  EXPECT_THAT(error_of(text), HasSubstr("unknown task 'piqaa'"));
}

TEST(SweepStudy, MissingModelPath) {
  std::string text = test::tiny_study("out", kStudyGrid);
  text.replace(text.find("tinystories-656k"), 16, "no-such-model");
  std::string error = error_of(text);
  EXPECT_THAT(error, HasSubstr("model folder not found"));
  EXPECT_THAT(error, HasSubstr("no-such-model"));
  EXPECT_THAT(error, HasSubstr("study.toml:6:"));
}

TEST(SweepStudy, DuplicateGridValuesPointAtTheRepeat) {
  std::string text = test::tiny_study("out", "methods = [\"rtn\"]\nbits = [4, 3, 4]\ngroup_sizes = [32]\n");
  int line = 1;
  for (char c : text.substr(0, text.find("bits = [4, 3, 4]"))) line += c == '\n';
  std::string error = error_of(text);
  EXPECT_THAT(error, HasSubstr("study.toml:" + std::to_string(line) + ":" + std::to_string(15)));
  EXPECT_THAT(error, HasSubstr("duplicate value in quantization.bits"));
  EXPECT_THAT(error_of(test::tiny_study("out", "methods = [\"rtn\", \"rtn\"]\nbits = [4]\ngroup_sizes = [32]\n")),
              HasSubstr("duplicate value in quantization.methods"));
  EXPECT_THAT(error_of(test::tiny_study("out", "methods = [\"rtn\"]\nbits = [4]\ngroup_sizes = [-1, \"channel\"]\n")),
              HasSubstr("duplicate value in quantization.group_sizes"));
}

TEST(SweepStudy, WrongTypesAndValues) {
  EXPECT_THAT(error_of(test::tiny_study("out", "methods = [\"awq\"]\nbits = [4]\ngroup_sizes = [32]\n")),
              HasSubstr("unknown method 'awq'"));
  EXPECT_THAT(error_of(test::tiny_study("out", "methods = [\"rtn\"]\nbits = [\"4\"]\ngroup_sizes = [32]\n")),
              HasSubstr("must hold integers"));
  EXPECT_THAT(error_of(test::tiny_study("out", "methods = [\"rtn\"]\nbits = [1]\ngroup_sizes = [32]\n")),
              HasSubstr("bits must be 2, 3, 4 or 8"));
  EXPECT_THAT(error_of(test::tiny_study("out", "methods = [\"gptq\"]\nbits = [4]\ngroup_sizes = [0]\n")),
              HasSubstr("group size must be"));
}

TEST(SweepGrid, BaselineOnceRtnIgnoresCalibration) {
  Study study = parse_study(test::tiny_study("out", kStudyGrid), "study.toml");
  std::vector<SweepPoint> grid = expand_grid(study);
  // 1 fp + gptq 2 bits × 2 groups × 2 Cb × 2 seeds + rtn 2 bits × 2 groups.
  ASSERT_EQ(grid.size(), 1u + 16u + 4u);
  int fp = 0, rtn = 0;
  std::set<std::string> ids;
  for (size_t i = 0; i < grid.size(); ++i) {
    EXPECT_EQ(grid[i].index, static_cast<int>(i));
    ids.insert(grid[i].id);
    if (grid[i].method == QuantMethod::Fp) {
      ++fp;
      EXPECT_EQ(grid[i].bits, 16);
      EXPECT_EQ(grid[i].calib_samples, 0);
    }
    if (grid[i].method == QuantMethod::Rtn) {
      ++rtn;
      EXPECT_EQ(grid[i].calib_samples, 0);
    }
  }
  EXPECT_EQ(fp, 1);
  EXPECT_EQ(rtn, 4);
  EXPECT_EQ(ids.size(), grid.size());  // ids are distinct
}

TEST(SweepGrid, PointIdsDependOnSettingsNotOnPaths) {
  std::vector<SweepPoint> a = expand_grid(parse_study(test::tiny_study("out", kStudyGrid), "/a/study.toml"));
  std::vector<SweepPoint> b = expand_grid(parse_study(test::tiny_study("elsewhere", kStudyGrid), "/b/other.toml"));
  std::string changed_limit = test::tiny_study("out", kStudyGrid);
  changed_limit.replace(changed_limit.find("limit = 8"), 9, "limit = 9");
  std::vector<SweepPoint> c = expand_grid(parse_study(changed_limit, "/a/study.toml"));
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_NE(a[i].id, c[i].id);  // the evaluation settings are part of a point
  }
}

TEST(SweepGrid, Fnv1aMatchesPublishedVectors) {
  // Test vectors of the FNV reference (isthe.com/chongo/tech/comp/fnv): FNV-1a 64.
  EXPECT_EQ(fnv1a_hex(""), "cbf29ce484222325");
  EXPECT_EQ(fnv1a_hex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(fnv1a_hex("foobar"), "85944171f73967e8");
}

}  // namespace
}  // namespace qs
