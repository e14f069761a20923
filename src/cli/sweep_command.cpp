// quantscale sweep STUDY.toml: runs the grid points missing from the study's store.
#include <cstdio>
#include <memory>

#include "cli/command_registry.h"
#include "core/blas.h"
#include "core/error.h"
#include "sweep/slurm_sweep.h"

namespace {

struct SweepArgs {
  std::string study;
  qs::SweepOptions options;
  std::string output;
  std::string point_id;
  int point_index = -1;
  std::string result_dir;
  bool merge_only = false;
  bool list = false;
  std::string partition, time, mem;
  int cpus_per_task = 0, max_parallel = -1;
};

void list_points(const qs::Study& study) {
  qs::Store store(study.store_path());
  auto finished = store.finished_points();
  auto failed = store.failed_points();
  for (const auto& point : qs::expand_grid(study)) {
    const char* state = finished.count(point.id) ? "done" : failed.count(point.id) ? "failed" : "pending";
    std::printf("%4d  %s  %-7s  %s\n", point.index, point.id.c_str(), state, point.label().c_str());
  }
}

int run(SweepArgs& a) {
  qs::Study study = qs::load_study(a.study);
  if (!a.output.empty()) qs::set_output_dir(study, a.output);
  a.options.study_path = a.study;
  a.options.threads = qs::blas::threads();
  if (!a.partition.empty()) study.slurm.partition = a.partition;
  if (!a.time.empty()) study.slurm.time = a.time;
  if (!a.mem.empty()) study.slurm.mem = a.mem == "none" ? "" : a.mem;
  if (a.cpus_per_task > 0) study.slurm.cpus_per_task = a.cpus_per_task;
  if (a.max_parallel >= 0) study.slurm.max_parallel = a.max_parallel;

  if (!a.point_id.empty() || a.point_index >= 0) {
    // One point (a --jobs child or a Slurm array task): write its result file only; the
    // parent (or the next sweep, or --merge) folds it into the store.
    auto grid = qs::expand_grid(study);
    const qs::SweepPoint& point = a.point_id.empty() ? qs::find_point(grid, a.point_index, a.study)
                                                     : qs::find_point(grid, a.point_id, a.study);
    std::string dir = a.result_dir.empty() ? study.results_dir() : a.result_dir;
    qs::PointResult result = qs::run_single_point(study, point, a.options, dir);
    std::printf("%s %s: %s in %.1f s -> %s/%s.json\n", point.id.c_str(), point.label().c_str(), result.status.c_str(),
                result.total_seconds, dir.c_str(), point.id.c_str());
    if (result.status != "ok") std::printf("error: %s\n", result.error.c_str());
    return 0;
  }
  if (a.list) {
    list_points(study);
    return 0;
  }
  if (a.merge_only) {
    qs::Store store(study.store_path());
    int merged = qs::merge_result_files(store, a.result_dir.empty() ? study.results_dir() : a.result_dir);
    auto grid = qs::expand_grid(study);
    std::printf("merged %d new point(s); %d/%zu grid points finished\n", merged, qs::count_finished(grid, store),
                grid.size());
    return 0;
  }
  qs::SweepSummary summary = qs::run_sweep(study, a.options);
  return summary.failed > 0 ? 1 : 0;
}

const qs::cli::CommandRegistration registration{{
    "sweep",
    "run the missing points of a study's grid (resumable; local or Slurm)",
    [](CLI::App& sub) -> std::function<int()> {
      auto a = std::make_shared<SweepArgs>();
      sub.add_option("study", a->study, "study file (TOML)")->required();
      sub.add_option("--jobs,-j", a->options.jobs, "points run concurrently as child processes (local backend)")
          ->check(CLI::PositiveNumber);
      sub.add_flag("--retry-failed", a->options.retry_failed, "run again the points whose last attempt failed");
      sub.add_flag("--keep-checkpoints", a->options.keep_checkpoints,
                   "keep quantized checkpoints in <output>/checkpoints/<point id>");
      sub.add_option("--output", a->output, "output folder (overrides the study file's [study] output)");
      sub.add_option("--backend", a->options.backend, "local or slurm")->check(CLI::IsMember({"local", "slurm"}));
      sub.add_option("--point", a->point_id, "run only this point id and write its result file");
      sub.add_option("--point-index", a->point_index, "run only the grid point with this index (Slurm array task)");
      sub.add_option("--result-dir", a->result_dir, "where result files go (default <output>/results)");
      sub.add_flag("--merge", a->merge_only, "only fold result files into the store");
      sub.add_flag("--list", a->list, "list the grid points with their ids and state");
      sub.add_option("--partition", a->partition, "Slurm partition (overrides the study file)");
      sub.add_option("--time", a->time, "Slurm time limit per point, e.g. 02:00:00");
      sub.add_option("--mem", a->mem, "Slurm memory per point, e.g. 16G ('none' = no --mem line)");
      sub.add_option("--cpus-per-task", a->cpus_per_task, "Slurm CPUs per point");
      sub.add_option("--max-parallel", a->max_parallel, "Slurm array throttle (%K); 0 = none");
      sub.add_option("--poll-seconds", a->options.slurm_poll_seconds, "squeue polling interval");
      return [a] { return run(*a); };
    },
}};

}  // namespace
