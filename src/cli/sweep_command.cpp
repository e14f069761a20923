// quantscale sweep STUDY.toml: runs the grid points missing from the study's store.
#include <cstdio>
#include <memory>

#include "cli/command_registry.h"
#include "cli/sweep_options.h"
#include "core/blas.h"
#include "sweep/slurm_sweep.h"

namespace {

struct SweepArgs : qs::cli::SweepCommandOptions {
  std::string point_id;
  int point_index = -1;
  std::string result_dir;
  bool merge_only = false;
  bool list = false;
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
  qs::Study study = qs::cli::load_study_with_overrides(a);

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
      qs::cli::add_sweep_options(sub, *a);
      sub.add_option("--point", a->point_id, "run only this point id and write its result file");
      sub.add_option("--point-index", a->point_index, "run only the grid point with this index (Slurm array task)")
          ->check(CLI::NonNegativeNumber);
      sub.add_option("--result-dir", a->result_dir, "where result files go (default <output>/results)");
      sub.add_flag("--merge", a->merge_only, "only fold result files into the store");
      sub.add_flag("--list", a->list, "list the grid points with their ids and state");
      return [a] { return run(*a); };
    },
}};

}  // namespace

namespace qs::cli {

void add_sweep_options(CLI::App& sub, SweepCommandOptions& o) {
  sub.add_option("study", o.study, "study file (TOML)")->required();
  sub.add_option("--jobs,-j", o.options.jobs, "points run concurrently as child processes (local backend)")
      ->check(CLI::PositiveNumber);
  sub.add_flag("--retry-failed", o.options.retry_failed, "run again the points whose last attempt failed");
  sub.add_flag("--keep-checkpoints", o.options.keep_checkpoints,
               "also export quantized checkpoints to <output>/checkpoints/<point id>");
  sub.add_option("--output", o.output, "output folder (overrides the study file's [study] output)");
  sub.add_option("--backend", o.options.backend, "local or slurm")->check(CLI::IsMember({"local", "slurm"}));
  sub.add_option("--partition", o.partition, "Slurm partition (overrides the study file)");
  sub.add_option("--time", o.time, "Slurm time limit per point, e.g. 02:00:00");
  sub.add_option("--mem", o.mem, "Slurm memory per point, e.g. 16G ('none' = no --mem line)");
  sub.add_option("--cpus-per-task", o.cpus_per_task, "Slurm CPUs per point");
  sub.add_option("--max-parallel", o.max_parallel, "Slurm array throttle (%K); 0 = none");
  sub.add_option("--poll-seconds", o.options.slurm_poll_seconds, "squeue polling interval");
}

Study load_study_with_overrides(SweepCommandOptions& o) {
  Study study = load_study(o.study);
  if (!o.output.empty()) set_output_dir(study, o.output);
  o.options.study_path = o.study;
  o.options.threads = blas::threads();
  if (!o.partition.empty()) study.slurm.partition = o.partition;
  if (!o.time.empty()) study.slurm.time = o.time;
  if (!o.mem.empty()) study.slurm.mem = o.mem == "none" ? "" : o.mem;
  if (o.cpus_per_task > 0) study.slurm.cpus_per_task = o.cpus_per_task;
  if (o.max_parallel >= 0) study.slurm.max_parallel = o.max_parallel;
  return study;
}

}  // namespace qs::cli
