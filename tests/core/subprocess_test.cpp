// run_process: an argument vector with no shell in between.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/subprocess.h"
#include "test_support.h"

namespace qs {
namespace {

TEST(Subprocess, ArgumentsAreNeverInterpreted) {
  test::ScratchDir dir("subprocess");
  const std::string marker = dir.file("PWNED");
  const std::string hostile = "a; touch " + marker + " $(touch " + marker + ") `touch " + marker + "`\nb";
  ProcessResult echo = run_process({"printf", "%s", hostile});
  EXPECT_EQ(echo.exit_status, 0);
  EXPECT_EQ(echo.output, hostile);
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Subprocess, ExitStatusAndStreams) {
  EXPECT_EQ(run_process({"false"}).exit_status, 1);
  ProcessResult missing = run_process({"qs-no-such-program-anywhere"});
  EXPECT_EQ(missing.exit_status, 127);
  EXPECT_THAT(missing.output, ::testing::HasSubstr("qs-no-such-program-anywhere"));
  // stderr: dropped unless asked for.
  EXPECT_EQ(run_process({"ls", "/qs-no-such-folder"}).output, "");
  EXPECT_THAT(run_process({"ls", "/qs-no-such-folder"}, true).output, ::testing::HasSubstr("qs-no-such-folder"));
  ProcessResult killed = run_process({"/bin/sh", "-c", "kill -9 $$"});
  EXPECT_EQ(killed.exit_status, 128 + 9);
}

}  // namespace
}  // namespace qs
