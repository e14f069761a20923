#pragma once
// Running a study's grid: the points not yet in the store, locally (in this process or as K
// child processes) or as a Slurm job array. Every point travels the same way into the store:
// a result file (JSON, written atomically) merged idempotently, so a sweep killed at any
// moment loses at most the points that were running, and a restart finishes the rest.
#include <string>
#include <vector>

#include "sweep/grid.h"
#include "sweep/store.h"
#include "sweep/study.h"

namespace qs {

enum class SweepBackend { Local, Slurm };  // --backend local | slurm

struct SweepOptions {
  std::string study_path;          // as given; children and array tasks reload it
  SweepBackend backend = SweepBackend::Local;
  int jobs = 1;                    // concurrent points (local backend)
  int threads = 0;                 // threads for the whole sweep; 0 = all cores (split over jobs)
  bool retry_failed = false;       // run points whose last attempt failed
  bool keep_checkpoints = false;   // keep quantized checkpoints in <output>/checkpoints/<id>
  std::string executable;          // the quantscale binary for children (default: this one)
  double slurm_poll_seconds = 5;
};

struct SweepSummary {
  int grid_points = 0;
  int already_finished = 0;  // grid points finished before this sweep
  int finished_after = 0;    // grid points finished when it ended
  int skipped_failed = 0;  // failed earlier and not retried
  int ran = 0, succeeded = 0, failed = 0;
  int left_to_others = 0;  // pending points another sweep on the store had claimed or finished
  double wall_seconds = 0;
  double stage_seconds = 0;  // Σ quantize + eval + ppl seconds of the points run
};

// Grid points the store does not hold as finished (and, unless retry_failed, as failed). The
// local backend claims each in the store before running it (Store::claim).
std::vector<SweepPoint> pending_points(const std::vector<SweepPoint>& grid, const Store& store, bool retry_failed,
                                       int* skipped_failed = nullptr);

int count_finished(const std::vector<SweepPoint>& grid, const Store& store);

// Folds every result file of `dir` into the store; returns how many points were newly recorded.
// A malformed file is reported on stderr and left in place; the others are still merged.
int merge_result_files(Store& store, const std::string& dir);

// Runs one point in this process and writes its result file into result_dir; returns the result.
PointResult run_single_point(const Study& study, const SweepPoint& point, const SweepOptions& options,
                             const std::string& result_dir);

SweepSummary run_sweep_local(const Study& study, const SweepOptions& options);

// Runs the study's missing points on options.backend and prints the summary.
SweepSummary run_sweep(const Study& study, const SweepOptions& options);

// Prints one line: what ran, how long, and (jobs > 0) the share of the job slots' wall time
// outside the point stages.
void print_summary(const SweepSummary& summary, int jobs);

}  // namespace qs
