#include "sweep/sweep.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "core/atomic_file.h"
#include "core/stage_timer.h"
#include "core/error.h"
#include "core/progress.h"
#include "sweep/claim_lease.h"
#include "sweep/point_runner.h"
#include "sweep/slurm_sweep.h"

namespace qs {
namespace {

namespace fs = std::filesystem;

int total_threads(const SweepOptions& options) {
  if (options.threads > 0) return options.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string self_executable(const SweepOptions& options) {
  if (!options.executable.empty()) return options.executable;
  return fs::read_symlink("/proc/self/exe").string();
}

std::string format_duration(double seconds) {
  char buffer[32];
  int total = static_cast<int>(seconds + 0.5);
  if (total >= 3600) std::snprintf(buffer, sizeof buffer, "%dh%02dm", total / 3600, (total / 60) % 60);
  else std::snprintf(buffer, sizeof buffer, "%dm%02ds", total / 60, total % 60);
  return buffer;
}

// Grid progress for logs and terminals: "[3/40] gptq B4 G128 Cb32 s0 on m: ok in 2.1 s · ETA 1m20s".
class SweepProgress {
 public:
  explicit SweepProgress(int total) : total_(total), bar_("sweep", total, "points"), start_(SteadyClock::now()) {}
  void point_done(const PointResult& result, SweepSummary& summary) {
    ++done_;
    ++summary.ran;
    (result.status == PointStatus::Ok ? summary.succeeded : summary.failed) += 1;
    summary.stage_seconds += result.quantize_seconds + result.eval_seconds + result.ppl_seconds;
    double elapsed = seconds_since(start_);
    double eta = elapsed / done_ * (total_ - done_);
    std::printf("[%d/%d] %s: %s in %.1f s (quantize %.1f s, eval %.1f s, ppl %.1f s) · ETA %s\n", done_, total_,
                result.point.label().c_str(), status_name(result.status).c_str(), result.total_seconds, result.quantize_seconds,
                result.eval_seconds, result.ppl_seconds, format_duration(eta).c_str());
    if (result.status != PointStatus::Ok) std::printf("    error: %s\n", result.error.c_str());
    std::fflush(stdout);
    bar_.advance();
  }

 private:
  int total_;
  int done_ = 0;
  Progress bar_;
  SteadyClock::time_point start_;
};

// Reads the result file a child wrote; a child that died without one becomes a failed point.
PointResult collect_child(const Study& study, const SweepPoint& point, int status, const std::string& log_path) {
  std::string path = study.results_dir() + "/" + point.id + ".json";
  if (fs::exists(path)) return point_result_from_json(read_file(path), path);
  PointResult failed;
  failed.point = point;
  failed.settings = canonical_settings(study, point);
  failed.status = PointStatus::Failed;
  failed.host = host_name();
  failed.started_at = failed.finished_at = utc_now_iso8601();
  std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                        : "exited with status " + std::to_string(WEXITSTATUS(status));
  failed.error = "point process " + how + " without a result; log: " + log_path;
  write_result_file(study.results_dir(), failed);
  return failed;
}

pid_t spawn_point(const Study& study, const SweepPoint& point, const SweepOptions& options, int threads,
                  const std::string& log_path) {
  std::vector<std::string> args = {self_executable(options), "--threads", std::to_string(threads), "sweep",
                                   options.study_path, "--output", study.output_dir, "--point", point.id,
                                   "--result-dir", study.results_dir()};
  if (options.keep_checkpoints) args.push_back("--keep-checkpoints");
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw Error("sweep", "fork failed");
  if (pid == 0) {
    // A child dies with its parent, so a killed sweep leaves no orphan burning cores.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
    ::setenv("OPENBLAS_NUM_THREADS", std::to_string(threads).c_str(), 1);
    ::setenv("QS_NO_PROGRESS", "1", 1);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

int count_finished(const std::vector<SweepPoint>& grid, const Store& store) {
  std::set<std::string> finished = store.finished_points();
  return static_cast<int>(std::count_if(grid.begin(), grid.end(), [&](const auto& p) { return finished.count(p.id) != 0; }));
}

std::vector<SweepPoint> pending_points(const std::vector<SweepPoint>& grid, const Store& store, bool retry_failed,
                                       int* skipped_failed) {
  std::set<std::string> finished = store.finished_points();
  std::set<std::string> failed = store.failed_points();
  std::vector<SweepPoint> pending;
  int skipped = 0;
  for (const auto& point : grid) {
    if (finished.count(point.id) != 0) continue;
    if (failed.count(point.id) != 0 && !retry_failed) {
      ++skipped;
      continue;
    }
    pending.push_back(point);
  }
  if (skipped_failed != nullptr) *skipped_failed = skipped;
  return pending;
}

int merge_result_files(Store& store, const std::string& dir) {
  if (!fs::is_directory(dir)) return 0;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    // Skip write_file_atomic's temporary files: they are complete only once renamed.
    if (entry.path().extension() == ".json" && name.find(".tmp.") == std::string::npos)
      files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  std::set<std::string> finished = store.finished_points();
  int merged = 0;
  for (const auto& file : files) {
    if (finished.count(fs::path(file).stem().string()) != 0) continue;  // already in the store
    PointResult result;
    try {
      result = point_result_from_json(read_file(file), file);
    } catch (const Error& e) {
      std::fprintf(stderr, "warning: skipping %s\n", e.what());
      continue;
    }
    if (store.record(result)) ++merged;
  }
  return merged;
}

PointResult run_single_point(const Study& study, const SweepPoint& point, const SweepOptions& options,
                             const std::string& result_dir) {
  PointContext context;
  context.threads = total_threads(options);
  context.keep_checkpoint = options.keep_checkpoints;
  context.checkpoint_dir = study.output_dir + "/checkpoints/" + point.id;
  auto runner = make_point_runner(study);
  PointResult result = run_point(*runner, study, point, context);
  write_result_file(result_dir, result);
  return result;
}

SweepSummary run_sweep_local(const Study& study, const SweepOptions& options) {
  auto start = StageTimer::now();
  fs::create_directories(study.results_dir());
  fs::create_directories(study.output_dir + "/logs");

  Store store(study.store_path());
  int merged = merge_result_files(store, study.results_dir());
  if (merged > 0) std::printf("merged %d result file(s) left by an earlier run\n", merged);

  std::vector<SweepPoint> grid = expand_grid(study);
  SweepSummary summary;
  summary.grid_points = static_cast<int>(grid.size());
  std::vector<SweepPoint> pending = pending_points(grid, store, options.retry_failed, &summary.skipped_failed);
  summary.already_finished = summary.grid_points - static_cast<int>(pending.size()) - summary.skipped_failed;
  std::printf("study %s: %d points, %d finished, %d failed earlier%s, %d to run with %d job(s)\n", study.name.c_str(),
              summary.grid_points, summary.already_finished,
              summary.skipped_failed, summary.skipped_failed > 0 ? " (--retry-failed reruns them)" : "",
              static_cast<int>(pending.size()), options.jobs);
  std::fflush(stdout);

  SweepProgress progress(static_cast<int>(pending.size()));
  // Each point is claimed in the store before it runs, so a second sweep on this store takes
  // only the points nobody holds (claim_lease.h: lease, heartbeat, dead owners).
  const std::string owner = claim_owner_id();
  ClaimHeartbeat heartbeat(study.store_path(), owner);
  size_t next = 0;
  auto claim_next = [&]() -> const SweepPoint* {
    while (next < pending.size()) {
      const SweepPoint& point = pending[next++];
      if (store.claim(point.id, owner, unix_now(), kClaimLeaseSeconds, options.retry_failed, owner_gone) ==
          Store::Claim::taken)
        return &point;
      ++summary.left_to_others;
    }
    return nullptr;
  };
  auto finish = [&](const PointResult& result) {
    store.record(result);
    store.release_claim(result.point.id, owner);
    progress.point_done(result, summary);
  };
  int jobs = std::max(1, options.jobs);
  if (jobs == 1) {
    while (const SweepPoint* point = claim_next()) finish(run_single_point(study, *point, options, study.results_dir()));
  } else {
    int threads = std::max(1, total_threads(options) / jobs);
    std::map<pid_t, SweepPoint> running;
    for (;;) {
      while (static_cast<int>(running.size()) < jobs) {
        const SweepPoint* point = claim_next();
        if (point == nullptr) break;
        std::string log_path = study.output_dir + "/logs/" + point->id + ".log";
        running[spawn_point(study, *point, options, threads, log_path)] = *point;
      }
      if (running.empty()) break;
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, 0);
      if (pid < 0) {
        if (errno == EINTR) continue;
        throw Error("sweep", "waitpid failed");
      }
      auto it = running.find(pid);
      if (it == running.end()) continue;
      SweepPoint point = it->second;
      running.erase(it);
      finish(collect_child(study, point, status, study.output_dir + "/logs/" + point.id + ".log"));
    }
  }
  summary.finished_after = count_finished(grid, store);
  summary.wall_seconds = seconds_since(start);
  return summary;
}

void print_summary(const SweepSummary& summary, int jobs) {
  double per_hour = summary.wall_seconds > 0 ? summary.ran * 3600.0 / summary.wall_seconds : 0.0;
  std::printf("sweep: ran %d point(s) (%d ok, %d failed) in %.1f s wall: %.0f points/hour", summary.ran,
              summary.succeeded, summary.failed, summary.wall_seconds, per_hour);
  // Share of the K job slots' wall time not spent in quantize/eval/ppl (local backend only:
  // a Slurm array's parallelism is the scheduler's).
  double slots = summary.wall_seconds * jobs;
  if (jobs > 0 && summary.ran > 0 && slots > 0)
    std::printf(", %.1f%% of job time outside quantize/eval/ppl", 100.0 * (slots - summary.stage_seconds) / slots);
  if (summary.left_to_others > 0)
    std::printf("; %d point(s) left to another sweep on this store", summary.left_to_others);
  std::printf("; %d/%d grid points finished\n", summary.finished_after, summary.grid_points);
}

SweepSummary run_sweep(const Study& study, const SweepOptions& options) {
  const bool slurm = options.backend == SweepBackend::Slurm;
  SweepSummary summary = slurm ? run_sweep_slurm(study, options) : run_sweep_local(study, options);
  print_summary(summary, slurm ? 0 : options.jobs);
  return summary;
}

}  // namespace qs
