// Nothing is lost under kill -9: a sweep killed with SIGKILL at random moments and restarted
// ends with every point exactly once and the same measurements as an uninterrupted sweep.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "sweep/sweep_fixtures.h"
#include "test_support.h"

namespace qs {
namespace {

const char* const kResumeGrid = "methods = [\"gptq\", \"rtn\"]\nbits = [2, 3, 4, 8]\ngroup_sizes = [32, 128, -1]\n"
                          "calib_samples = [8]\n";
constexpr int kResumeGridPoints = 1 + 12 + 12;
constexpr int kKills = 24;

void write_study(const std::string& path, const std::string& output) {
  std::ofstream(path) << test::tiny_study(output, kResumeGrid);
}

TEST(SweepKill, RandomSigkillsLoseNothing) {
  test::ScratchDir dir("kill_resume");
  write_study(dir.file("reference.toml"), "reference");
  write_study(dir.file("killed.toml"), "killed");

  auto start = std::chrono::steady_clock::now();
  auto reference = test::run_quantscale("--threads 1 sweep " + dir.file("reference.toml"));
  ASSERT_EQ(reference.exit_code, 0) << reference.output;
  double point_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / kResumeGridPoints;

  // Kill moments drawn uniformly over one mean point duration, so kills land in start-up,
  // inside points, between points and during commits; every other run uses --jobs 2.
  std::mt19937 random(20261125);
  std::uniform_real_distribution<double> delay(0.0, point_seconds);
  int kills = 0, completed_early = 0;
  for (int run = 0; kills < kKills; ++run) {
    ASSERT_LT(run, 10 * kKills) << "sweep kept finishing before it could be killed";
    pid_t pid = test::start_sweep(dir.file("killed.toml"), run % 2 == 0 ? 1 : 2);
    std::this_thread::sleep_for(std::chrono::duration<double>(delay(random)));
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      ++completed_early;
      break;  // the grid finished before this kill: nothing left to interrupt
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ++kills;
  }
  ASSERT_GE(kills, 20) << "only " << kills << " kills landed before the grid finished";
  auto finish = test::run_quantscale("--threads 1 sweep " + dir.file("killed.toml"));
  ASSERT_EQ(finish.exit_code, 0) << finish.output;

  test::expect_nothing_lost(dir.file("killed/results.db"), dir.file("reference/results.db"), kResumeGridPoints);
  std::printf("[ info ] %d SIGKILLs (%.0f ms mean point), restarts completed the grid\n", kills, point_seconds * 1000);
}

}  // namespace
}  // namespace qs
