#include "sweep/slurm_sweep.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "core/atomic_file.h"
#include "core/stage_timer.h"
#include "core/error.h"
#include "core/subprocess.h"
#include "sweep/slurm_values.h"

namespace qs {
namespace {

namespace fs = std::filesystem;

// One shell word: '...' with each ' written as '\''; bash reads every other byte literally.
std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t first = 0;
  while (first < text.size() && std::isspace(static_cast<unsigned char>(text[first]))) ++first;
  return text.substr(first);
}

bool is_job_id(const std::string& text) {
  return !text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string::npos;
}

// True while the job (or any of its array tasks) is pending or running.
bool job_in_queue(const std::string& job_id) {
  ProcessResult squeue = run_process({"squeue", "-h", "-j", job_id, "-o", "%i"});
  return squeue.exit_status == 0 && !trim(squeue.output).empty();
}

std::string submit(const std::string& script_path) {
  ProcessResult sbatch = run_process({"sbatch", "--parsable", script_path}, /*capture_stderr=*/true);
  std::string output = trim(sbatch.output);
  if (sbatch.exit_status != 0)
    throw Error(script_path, "sbatch failed (exit " + std::to_string(sbatch.exit_status) + "): " + output);
  std::string job_id = output.substr(0, output.find(';'));  // "<id>;<cluster>" on federations
  if (!is_job_id(job_id)) throw Error(script_path, "unexpected sbatch output: " + printable(output));
  return job_id;
}

// The job id an earlier sweep saved; anything but digits is refused (it reaches squeue's argv).
std::string saved_job_id(const std::string& job_file) {
  std::string job_id = trim(read_file(job_file));
  if (!is_job_id(job_id))
    throw Error(job_file, "not a Slurm job id (digits expected): '" + printable(job_id.substr(0, 80)) +
                              "'; delete the file if no earlier array of this study is still queued");
  return job_id;
}

std::string slurm_dir(const Study& study) { return study.output_dir + "/slurm"; }

}  // namespace

std::string slurm_array_spec(const std::vector<int>& indices, int max_parallel) {
  std::string spec;
  for (size_t i = 0; i < indices.size();) {
    size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!spec.empty()) spec.push_back(',');
    spec.append(std::to_string(indices[i]));
    if (j > i) {
      spec.push_back('-');
      spec.append(std::to_string(indices[j]));
    }
    i = j + 1;
  }
  if (max_parallel > 0) {
    spec.push_back('%');
    spec.append(std::to_string(max_parallel));
  }
  return spec;
}

std::string slurm_log_path(const Study& study, const std::string& job_id, int index) {
  return slurm_dir(study) + "/logs/" + job_id + "_" + std::to_string(index) + ".out";
}

std::string slurm_batch_script(const Study& study, const SweepOptions& options, const std::vector<int>& indices) {
  const SlurmResources& r = study.slurm;
  std::string executable = options.executable.empty() ? fs::read_symlink("/proc/self/exe").string() : options.executable;
  check_slurm_values(study);
  // The #SBATCH lines are read by sbatch's own parser (double quotes group, '#' starts a comment,
  // a newline ends the option), the rest by bash: values are checked (slurm_values.h) and the
  // paths quoted for their reader.
  std::string script = "#!/bin/bash\n";
  script += "#SBATCH --job-name=qs-" + study.name + "\n";
  script += "#SBATCH --array=" + slurm_array_spec(indices, r.max_parallel) + "\n";
  script += "#SBATCH --output=\"" + slurm_dir(study) + "/logs/%A_%a.out\"\n";
  script += "#SBATCH --cpus-per-task=" + std::to_string(r.cpus_per_task) + "\n";
  if (!r.time.empty()) script += "#SBATCH --time=" + r.time + "\n";
  if (!r.mem.empty()) script += "#SBATCH --mem=" + r.mem + "\n";
  if (!r.partition.empty()) script += "#SBATCH --partition=" + r.partition + "\n";
  for (const auto& directive : r.extra_directives) script += "#SBATCH " + directive + "\n";
  script += "set -euo pipefail\n";
  script += "threads=\"${SLURM_CPUS_PER_TASK:-1}\"\n";
  script += "export OMP_NUM_THREADS=\"$threads\" OPENBLAS_NUM_THREADS=\"$threads\" QS_NO_PROGRESS=1\n";
  script += "exec " + shell_quote(executable) + " --threads \"$threads\" sweep " +
            shell_quote(fs::absolute(options.study_path).string()) + " --output " + shell_quote(study.output_dir) +
            " --point-index \"$SLURM_ARRAY_TASK_ID\"" +
            " --result-dir " + shell_quote(study.results_dir()) + (options.keep_checkpoints ? " --keep-checkpoints" : "") +
            "\n";
  return script;
}

SweepSummary run_sweep_slurm(const Study& study, const SweepOptions& options) {
  auto start = StageTimer::now();
  check_slurm_values(study);  // before anything is written or run
  fs::create_directories(slurm_dir(study) + "/logs");
  fs::create_directories(study.results_dir());
  Store store(study.store_path());
  merge_result_files(store, study.results_dir());
  std::vector<SweepPoint> grid = expand_grid(study);
  SweepSummary summary;
  summary.grid_points = static_cast<int>(grid.size());
  std::vector<SweepPoint> pending = pending_points(grid, store, options.retry_failed, &summary.skipped_failed);
  summary.already_finished = summary.grid_points - static_cast<int>(pending.size()) - summary.skipped_failed;
  std::vector<int> indices;
  for (const auto& point : pending) indices.push_back(point.index);

  // A sweep restarted while its array is still queued waits for that array instead of
  // submitting the same points again.
  std::string job_file = slurm_dir(study) + "/job_id";
  std::string job_id;
  std::string saved = fs::exists(job_file) ? saved_job_id(job_file) : "";
  if (!saved.empty() && job_in_queue(saved)) {
    job_id = saved;
    std::printf("waiting for Slurm job %s submitted earlier\n", job_id.c_str());
  } else if (!pending.empty()) {
    std::string script_path = slurm_dir(study) + "/sweep.sbatch";
    write_file_atomic(script_path, slurm_batch_script(study, options, indices));
    job_id = submit(script_path);
    write_file_atomic(job_file, job_id + "\n");
    std::printf("submitted %zu point(s) as Slurm job array %s (%s)\n", pending.size(), job_id.c_str(),
                script_path.c_str());
  }
  std::fflush(stdout);
  while (!job_id.empty() && job_in_queue(job_id))
    std::this_thread::sleep_for(std::chrono::duration<double>(options.slurm_poll_seconds));

  merge_result_files(store, study.results_dir());
  std::set<std::string> finished = store.finished_points();
  for (const auto& point : pending) {
    ++summary.ran;
    if (finished.count(point.id) != 0) {
      ++summary.succeeded;
      std::string file = study.results_dir() + "/" + point.id + ".json";
      if (fs::exists(file)) {
        PointResult result = point_result_from_json(read_file(file), file);
        summary.stage_seconds += result.quantize_seconds + result.eval_seconds + result.ppl_seconds;
      }
      continue;
    }
    ++summary.failed;
    std::string log = job_id.empty() ? "(no job)" : slurm_log_path(study, job_id, point.index);
    std::printf("failed: array task %d (%s): see %s\n", point.index, point.label().c_str(), log.c_str());
  }
  summary.finished_after = count_finished(grid, store);
  summary.wall_seconds = seconds_since(start);
  return summary;
}

}  // namespace qs
