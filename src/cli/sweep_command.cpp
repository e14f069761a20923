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

int run_sweep(SweepArgs& a) {
  qs::Study study = qs::cli::load_study_with_overrides(a);

  if (!a.point_id.empty() || a.point_index >= 0) {
    // One point (a --jobs child or a Slurm array task): write its result file only; the
    // parent (or the next sweep, or --merge) folds it into the store.
    auto grid = qs::expand_grid(study);
    const qs::SweepPoint& point = a.point_id.empty() ? qs::find_point(grid, a.point_index, a.study)
                                                     : qs::find_point(grid, a.point_id, a.study);
    std::string dir = a.result_dir.empty() ? study.results_dir() : a.result_dir;
    qs::PointResult result = qs::run_single_point(study, point, a.options, dir);
    std::printf("%s %s: %s in %.1f s -> %s/%s.json\n", point.id.c_str(), point.label().c_str(), qs::status_name(result.status).c_str(),
                result.total_seconds, dir.c_str(), point.id.c_str());
    if (result.status != qs::PointStatus::Ok) std::printf("error: %s\n", result.error.c_str());
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

const qs::cli::CommandRegistration sweep_registration{{
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
      return [a] { return run_sweep(*a); };
    },
}};

}  // namespace
