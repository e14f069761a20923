#include "cli/sweep_options.h"

#include "core/blas.h"

namespace qs::cli {

void add_sweep_options(CLI::App& sub, SweepCommandOptions& o) {
  sub.add_option("study", o.study, "study file (TOML)")->required();
  sub.add_option("--jobs,-j", o.options.jobs, "points run concurrently as child processes (local backend)")
      ->check(CLI::PositiveNumber);
  sub.add_flag("--retry-failed", o.options.retry_failed, "run again the points whose last attempt failed");
  sub.add_flag("--keep-checkpoints", o.options.keep_checkpoints,
               "also export quantized checkpoints to <output>/checkpoints/<point id>");
  sub.add_option("--output", o.output, "output folder (overrides the study file's [study] output)");
  sub.add_option_function<std::string>(
         "--backend",
         [&o](const std::string& name) { o.options.backend = name == "slurm" ? SweepBackend::Slurm : SweepBackend::Local; },
         "local or slurm")
      ->check(CLI::IsMember({"local", "slurm"}));
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
