#pragma once
// The options `sweep` and `study` share (study file, jobs, backend, output, Slurm resources),
// registered once for both.
#include <CLI/CLI.hpp>
#include <string>

#include "sweep/sweep.h"

namespace qs::cli {

struct SweepCommandOptions {
  std::string study;
  SweepOptions options;
  std::string output;
  std::string partition, time, mem;
  int cpus_per_task = 0, max_parallel = -1;
};

void add_sweep_options(CLI::App& sub, SweepCommandOptions& o);

// Loads the study and applies --output and the Slurm flags; fills o.options' study path and threads.
Study load_study_with_overrides(SweepCommandOptions& o);

}  // namespace qs::cli
