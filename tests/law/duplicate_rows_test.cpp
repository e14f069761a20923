// Issue 14 item 10: a CSV row repeating an earlier (point_id, task, metric) is an error naming
// both lines; it used to be fitted twice (the point weighted double).
#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "law/observations.h"
#include "test_support.h"

namespace qs::law {
namespace {

Observation row(const std::string& point, const std::string& task) {
  // Designated initializers: GCC 12 warns (-Wrestrict, a known false positive) on a literal
  // assigned to a member string here.
  return Observation{.point_id = point, .model = std::string("m"), .architecture = std::string("LlamaForCausalLM"),
                     .n_params = 1000000, .n_params_nonembed = 900000, .method = std::string("gptq"), .bits = 4,
                     .group_size = 128, .calib_samples = 128, .seed = 0, .task = task, .stratum = std::string("L2"),
                     .metric = std::string("acc"), .acc = 0.5, .acc_stderr = 0.01, .acc_rand = 0.25, .ppl = 12,
                     .ppl_fp = 11};
}

TEST(LawCsvRows, DuplicatedRowIsAnErrorNamingBothLines) {
  test::ScratchDir dir("law_duplicate_rows");
  // Same point, other task: distinct rows, read as they are.
  write_file_atomic(dir.file("ok.csv"), observations_to_csv({row("p1", "arc_easy"), row("p1", "piqa"), row("p2", "piqa")}));
  EXPECT_EQ(load_observations(dir.file("ok.csv")).size(), 3u);
  // Line 4 repeats line 2 (line 1 is the header).
  write_file_atomic(dir.file("dup.csv"), observations_to_csv({row("p1", "arc_easy"), row("p2", "piqa"), row("p1", "arc_easy")}));
  try {
    load_observations(dir.file("dup.csv"));
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("dup.csv:4"), std::string::npos) << message;
    EXPECT_NE(message.find("already on line 2"), std::string::npos) << message;
    EXPECT_NE(message.find("'p1'"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace qs::law
