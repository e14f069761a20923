// Nothing is lost under kill -9, with real points (issue 6): the pipeline runner quantizes
// the shipped TinyStories-656K (GPTQ, RTN), evaluates three tasks and measures perplexity; the
// `quantscale sweep` process is killed with SIGKILL 24 times, each kill aimed at one phase of
// a point (start-up, model load, quantization, perplexity, evaluation, store commit), then
// restarted. The final store must hold every point once and equal an uninterrupted sweep.
//
// Sized for a 2-core CI machine (9-point version: 63-89 s alone, 202 s beside the rest of
// `ctest -j 2`, load average 4-7; 37-50 s on the idle machine): 19 points (13 in the sanitizer build), 2 or 4
// calibration windows of 64 tokens, 4 documents per task, perplexity on 1024 tokens. Runs as
// its own ctest entry:
//   ctest -L sweep_kill_real      or      qs_tests --gtest_filter='SweepKillReal*'
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "sweep/sweep_fixtures.h"
#include "test_support.h"

namespace qs {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

// The sanitizer build (scripts/test_sanitizers.sh), where a point is several times slower,
// aims 2 kills at each phase; the Release build runs all 24.
const bool kSanitizerBuild = std::getenv("QS_SANITIZER_BUILD") != nullptr;
const int kKillsPerPhase = kSanitizerBuild ? 2 : 4;
// Release: 19 points. With --jobs 2 and commit-phase kills some points finish between kills
// (each commit kill lets its point's result file through); on a fast machine 9 points ran out
// after 19 of the 24 kills, and 13 points after 22 once eval and perplexity got faster
// (session 3). The sanitizer build's 12 kills keep the 13-point grid (group sizes 32 and -1):
// 253 s under ASan against 402 s for 19 points.
const int kGroupSizes = kSanitizerBuild ? 2 : 3;
const std::string kRealGrid = std::string("methods = [\"gptq\", \"rtn\"]\nbits = [3, 4]\ngroup_sizes = ") +
                          (kSanitizerBuild ? "[32, -1]" : "[32, 64, -1]") + "\ncalib_samples = [2, 4]\n";
// fp + GPTQ (2 bits × groups × 2 calib sizes) + RTN (2 bits × groups)
const int kRealGridPoints = 1 + 2 * kGroupSizes * 2 + 2 * kGroupSizes;
// Multiple choice, single loglikelihood; no [sweep] section: the real pipeline runner.
const char* const kRealEvaluation =
    "[evaluation]\ntasks = [\"arc_easy\", \"lambada_openai\", \"piqa\"]\nlimit = 4\n\n"
    "[perplexity]\ntext = \"${shared}/text/wikitext2/wiki.test.raw\"\nctx = 64\nmax_tokens = 1024\n";

enum Phase { kStartUp, kModelLoad, kQuantize, kPerplexity, kEvaluation, kCommit, kPhases };
const std::array<const char*, kPhases> kPhaseNames = {"start-up", "model load", "quantize", "perplexity", "eval",
                                                      "store commit"};

// A point's stage times in the uninterrupted sweep; the pipeline runs quantize (which loads
// the checkpoint first), then perplexity, then evaluation.
struct StageSeconds {
  double quantize = 0, ppl = 0, eval = 0, total = 0;
};

std::vector<std::string> grid_order(const std::string& study) {
  auto listing = test::run_quantscale("sweep " + study + " --list");
  EXPECT_EQ(listing.exit_code, 0) << listing.output;
  std::vector<std::string> ids;
  std::istringstream lines(listing.output);
  std::string index, id;
  std::string rest;
  while (lines >> index >> id && std::getline(lines, rest)) ids.push_back(id);
  return ids;
}

// A kill during start-up can leave a store whose schema transaction never committed.
std::set<std::string> finished_points(const std::string& db) {
  if (!fs::exists(db) || test::query_rows(db, "SELECT name FROM sqlite_master WHERE name = 'runs'").empty()) return {};
  auto rows = test::query_rows(db, "SELECT point_id FROM runs WHERE status = 'ok'");
  return {rows.begin(), rows.end()};
}

std::set<std::string> result_files(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(dir, ignored)) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".json" && name.find(".tmp.") == std::string::npos) names.insert(name);
  }
  return names;
}

// Reads the sweep's output until a line containing `needle` (true) or end of output/timeout.
bool read_until(int fd, const std::string& needle, std::string& output, double timeout_seconds = 60) {
  auto deadline = Clock::now() + Seconds(timeout_seconds);
  while (output.find(needle) == std::string::npos) {
    int wait_ms = static_cast<int>(Seconds(deadline - Clock::now()).count() * 1000);
    if (wait_ms <= 0) return false;
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, wait_ms) <= 0) return false;
    char buffer[4096];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    output.append(buffer, static_cast<size_t>(n));
  }
  return true;
}

TEST(SweepKillReal, RandomSigkillsInEveryPhaseLoseNothing) {
  test::ScratchDir dir("kill_real_points");
  std::ofstream(dir.file("reference.toml")) << test::tiny_study("reference", kRealGrid, kRealEvaluation);
  std::ofstream(dir.file("killed.toml")) << test::tiny_study("killed", kRealGrid, kRealEvaluation);
  const auto test_start = Clock::now();

  auto reference = test::run_quantscale("--threads 1 sweep " + dir.file("reference.toml"));
  ASSERT_EQ(reference.exit_code, 0) << reference.output;
  const double reference_seconds = Seconds(Clock::now() - test_start).count();
  const std::vector<std::string> grid = grid_order(dir.file("reference.toml"));
  ASSERT_EQ(grid.size(), static_cast<size_t>(kRealGridPoints));
  std::map<std::string, StageSeconds> stages;
  for (const auto& row : test::query_rows(dir.file("reference/results.db"),
                                          "SELECT point_id || ' ' || quantize_seconds || ' ' || ppl_seconds || ' ' || "
                                          "eval_seconds || ' ' || total_seconds FROM runs")) {
    std::istringstream fields(row);
    std::string id;
    StageSeconds s;
    fields >> id >> s.quantize >> s.ppl >> s.eval >> s.total;
    stages[id] = s;
  }
  // The fp point's "quantize" stage is the checkpoint load alone.
  const double load_seconds = stages.at(grid[0]).quantize;

  const std::string killed_db = dir.file("killed/results.db"), results_dir = dir.file("killed/results");
  std::mt19937 random(20261129);
  auto uniform = [&](double low, double high) { return std::uniform_real_distribution<double>(low, high)(random); };
  std::array<int, kPhases> kills_in{};
  int kills = 0, merges_after_kill = 0;
  double startup_seconds = 0.02;  // time to the sweep's "to run with" line; re-measured each run
  for (int attempt = 0; kills < kPhases * kKillsPerPhase; ++attempt) {
    ASSERT_LT(attempt, 4 * kPhases * kKillsPerPhase) << "the sweep kept finishing before it could be killed";
    const auto phase = static_cast<Phase>(kills % kPhases);
    const int jobs = (kills / kPhases) % 2 == 0 ? 1 : 2;
    std::set<std::string> finished = finished_points(killed_db);
    std::vector<std::string> pending;
    for (const auto& id : grid)
      if (finished.count(id) == 0) pending.push_back(id);
    ASSERT_FALSE(pending.empty()) << "the grid finished after " << kills << " kills; the test needs "
                                  << kPhases * kKillsPerPhase;
    // Pace the grid so kills reach every kind of point (fp, GPTQ, RTN) and a few points remain
    // for the last restart: with --jobs 1, sometimes let one whole point finish first.
    const double due = (kills + 1.0) * (kRealGridPoints - 2) / (kPhases * kKillsPerPhase);
    const size_t skip = jobs == 1 && phase != kCommit && finished.size() + 1 < due && pending.size() > 2 ? 1 : 0;
    double skipped_seconds = 0;
    for (size_t i = 0; i < skip; ++i) skipped_seconds += stages.at(pending[i]).total;
    const StageSeconds& target = stages.at(pending[skip]);
    const std::set<std::string> files_before = result_files(results_dir);

    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const auto started = Clock::now();
    pid_t pid = test::start_sweep(dir.file("killed.toml"), jobs, pipe_fds[1]);
    ::close(pipe_fds[1]);
    std::string output;
    bool announced = false;
    if (phase == kStartUp) {
      std::this_thread::sleep_for(Seconds(uniform(0.0, startup_seconds)));
    } else {
      announced = read_until(pipe_fds[0], "to run with", output);
      const auto points_start = Clock::now();
      startup_seconds = Seconds(points_start - started).count();
      double offset = 0;
      switch (phase) {
        case kModelLoad: offset = uniform(0.0, std::min(load_seconds, target.quantize)); break;
        case kQuantize: offset = uniform(std::min(load_seconds, target.quantize), target.quantize); break;
        case kPerplexity: offset = target.quantize + uniform(0.0, target.ppl); break;
        case kEvaluation: offset = target.quantize + target.ppl + uniform(0.0, target.eval); break;
        default: break;
      }
      if (phase == kCommit) {
        // The result file is renamed into place just before the store transaction records it.
        auto deadline = Clock::now() + Seconds(60);
        while (result_files(results_dir).size() == files_before.size() && Clock::now() < deadline)
          std::this_thread::sleep_for(std::chrono::microseconds(200));
      } else {
        std::this_thread::sleep_until(points_start + Seconds(skipped_seconds + offset));
      }
    }
    int status = 0;
    bool exited = ::waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ++kills;
      ++kills_in[phase];
    }
    ::close(pipe_fds[0]);
    if (announced && output.find("merged") != std::string::npos) ++merges_after_kill;
  }

  auto finish = test::run_quantscale("--threads 1 sweep " + dir.file("killed.toml"));
  ASSERT_EQ(finish.exit_code, 0) << finish.output;
  test::expect_nothing_lost(killed_db, dir.file("reference/results.db"), kRealGridPoints);

  std::string per_phase;
  for (int p = 0; p < kPhases; ++p) per_phase += std::string(p ? ", " : "") + kPhaseNames[p] + " " + std::to_string(kills_in[p]);
  std::printf("[ info ] %d SIGKILLs aimed at %s; %d restart(s) merged a result file the kill left unrecorded; "
              "uninterrupted sweep %.1f s, whole test %.1f s\n",
              kills, per_phase.c_str(), merges_after_kill, reference_seconds, Seconds(Clock::now() - test_start).count());
}

}  // namespace
}  // namespace qs
