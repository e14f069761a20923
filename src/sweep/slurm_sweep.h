#pragma once
// `--backend slurm`: the pending points become one `sbatch --array` job; array task i runs
// `quantscale sweep STUDY --point-index i` and writes its own result file; this process polls
// squeue until the array has left the queue, then merges the result files into the store.
// An array task that left no successful result is listed with its Slurm log path.
#include <string>
#include <vector>

#include "sweep/sweep.h"

namespace qs {

// "0-3,5,9-10" (+ "%K" when max_parallel > 0) for sorted grid indices.
std::string slurm_array_spec(const std::vector<int>& indices, int max_parallel);

// The batch script for these grid indices (resources from study.slurm).
std::string slurm_batch_script(const Study& study, const SweepOptions& options, const std::vector<int>& indices);

// Log file Slurm writes for array task `index` of job `job_id` (the script's --output pattern).
std::string slurm_log_path(const Study& study, const std::string& job_id, int index);

SweepSummary run_sweep_slurm(const Study& study, const SweepOptions& options);

}  // namespace qs
