// Two sweeps on one store share the grid: every point runs exactly once, a point another live
// sweep holds is left to it, and a claim whose lease ran out (or whose owner died) is taken over.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "sweep/claim_lease.h"
#include "sweep/grid.h"
#include "sweep/point_result.h"
#include "sweep/store.h"
#include "sweep/study.h"
#include "sweep/sweep_fixtures.h"
#include "test_support.h"

namespace qs {
namespace {

using ::testing::HasSubstr;

const char* const kClaimsGrid = "methods = [\"rtn\"]\nbits = [2, 3, 4, 8]\ngroup_sizes = [32, 128]\n";

// kTestEvaluation with slower synthetic points, so that two sweeps started together overlap.
std::string study_text(const std::string& output, double point_seconds) {
  std::string evaluation = test::kTestEvaluation;
  evaluation = evaluation.substr(0, evaluation.find("[sweep]"));
  return test::tiny_study(output, kClaimsGrid, evaluation + "[sweep]\nrunner = \"synthetic\"\nsynthetic_seconds = " +
                                             std::to_string(point_seconds) + "\n");
}

// Labels of the points a sweep's log says it ran ("[k/N] <label>: ok in ...").
std::multiset<std::string> points_run(const std::string& log_path) {
  std::ifstream in(log_path);
  std::multiset<std::string> labels;
  for (std::string line; std::getline(in, line);) {
    size_t open = line.find("] "), done = line.find(": ok in ");
    if (line.rfind("[", 0) == 0 && open != std::string::npos && done != std::string::npos)
      labels.insert(line.substr(open + 2, done - open - 2));
  }
  return labels;
}

void exec_sql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "") << " in " << sql;
  sqlite3_free(message);
  sqlite3_close(db);
}

TEST(SweepClaims, TwoSweepsRunEveryPointExactlyOnce) {
  test::ScratchDir dir("claims_two");
  std::ofstream(dir.file("study.toml")) << study_text("out", 0.3);
  const int grid_points = static_cast<int>(expand_grid(parse_study(study_text("out", 0.3), dir.file("study.toml"))).size());
  // Started together: one in-process, one with --jobs 2 (the parent claims for its children).
  const std::string q = std::string("QS_NO_PROGRESS=1 ") + QS_BINARY + " --threads 2 sweep " + dir.file("study.toml");
  auto run = test::run_shell("cd " + dir.path() + " && { " + q + " > a.log 2>&1; echo $? > a.rc; } & " + "cd " +
                             dir.path() + " && { " + q + " --jobs 2 > b.log 2>&1; echo $? > b.rc; }; wait");
  for (const char* rc : {"a.rc", "b.rc"}) {
    std::ifstream in(dir.file(rc));
    int code = -1;
    in >> code;
    EXPECT_EQ(code, 0) << rc << "\n" << test::run_shell("cat " + dir.file("a.log") + " " + dir.file("b.log")).output;
  }
  std::multiset<std::string> a = points_run(dir.file("a.log")), b = points_run(dir.file("b.log"));
  std::multiset<std::string> both = a;
  both.insert(b.begin(), b.end());
  EXPECT_EQ(static_cast<int>(both.size()), grid_points) << "points run " << a.size() << " + " << b.size();
  EXPECT_EQ(std::set<std::string>(both.begin(), both.end()).size(), both.size()) << "a point ran in both sweeps";
  EXPECT_EQ(test::query_rows(dir.file("out/results.db"), "SELECT count(*), sum(attempts) FROM runs WHERE status = 'ok'")
                .at(0),
            std::to_string(grid_points) + "|" + std::to_string(grid_points));
  EXPECT_EQ(test::query_rows(dir.file("out/results.db"), "SELECT count(*) FROM claims").at(0), "0")
      << "finished points keep no claim";
  std::printf("[ info ] sweep A ran %zu point(s), sweep B %zu, of %d\n", a.size(), b.size(), grid_points);
}

TEST(SweepClaims, HeldPointsAreLeftAndExpiredOrDeadClaimsTakenOver) {
  test::ScratchDir dir("claims_lease");
  std::ofstream(dir.file("study.toml")) << study_text("out", 0);
  std::vector<SweepPoint> grid = expand_grid(parse_study(study_text("out", 0), dir.file("study.toml")));
  ASSERT_GE(grid.size(), 3u);
  const std::string db = dir.file("out/results.db");
  std::filesystem::create_directories(dir.file("out"));
  { Store create(db); }
  const std::string far = std::to_string(unix_now() + 3600);
  // A live sweep on another host holds point 1; a dead process of this host holds point 2.
  exec_sql(db, "INSERT INTO claims VALUES('" + grid[1].id + "', 'elsewhere:123:456', " + far + "), ('" + grid[2].id +
                   "', '" + host_name() + ":999999999:1', " + far + ")");

  auto first = test::run_quantscale("--threads 1 sweep " + dir.file("study.toml"));
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("1 point(s) left to another sweep"));
  auto done = [&] { return test::query_rows(db, "SELECT point_id FROM runs WHERE status = 'ok'"); };
  EXPECT_EQ(done().size(), grid.size() - 1);
  EXPECT_THAT(done(), ::testing::Not(::testing::Contains(grid[1].id)));
  EXPECT_THAT(done(), ::testing::Contains(grid[2].id)) << "a dead owner's claim was not taken over";

  // The other host's sweep stopped renewing: once its lease has run out the point is free.
  exec_sql(db, "UPDATE claims SET expires_at = " + std::to_string(unix_now() - 1));
  auto second = test::run_quantscale("--threads 1 sweep " + dir.file("study.toml"));
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("ran 1 point(s)"));
  EXPECT_EQ(done().size(), grid.size());
}

TEST(SweepClaims, OwnersAreTheirProcessAndTheHeartbeatRenews) {
  const std::string self = claim_owner_id();
  EXPECT_FALSE(owner_gone(self));
  // A child that has exited and been reaped: gone, on this host only.
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  const std::string start = self.substr(self.rfind(':') + 1);
  EXPECT_TRUE(owner_gone(host_name() + ":" + std::to_string(child) + ":" + start));
  EXPECT_TRUE(owner_gone(host_name() + ":" + std::to_string(::getpid()) + ":1")) << "a reused pid is another process";
  EXPECT_FALSE(owner_gone("elsewhere:" + std::to_string(child) + ":1"));

  // The heartbeat pushes this owner's claims forward (checked by polling, no time bound).
  test::ScratchDir dir("claims_heartbeat");
  Store store(dir.file("results.db"));
  const double t0 = unix_now();
  ASSERT_EQ(store.claim("p", self, t0, 0.4, false, [](const std::string&) { return false; }), Store::Claim::taken);
  const auto expires = [&] {
    return std::stod(test::query_rows(dir.file("results.db"), "SELECT expires_at FROM claims").at(0));
  };
  // query_rows shows a REAL with 15 significant digits: 1e-5 s at today's Unix times.
  EXPECT_NEAR(expires(), t0 + 0.4, 1e-3);
  ClaimHeartbeat heartbeat(dir.file("results.db"), self, 0.4);
  bool renewed = false;
  for (int poll = 0; poll < 600 && !renewed; ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    renewed = expires() > t0 + 0.45;  // the first beat, a lease / 4 = 0.1 s on, renews to >= t0 + 0.5
  }
  EXPECT_TRUE(renewed) << "no renewal within 30 s";
}

}  // namespace
}  // namespace qs
