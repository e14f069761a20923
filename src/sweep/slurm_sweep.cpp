#include "sweep/slurm_sweep.h"

#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"

namespace qs {
namespace {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Runs a shell command; returns its exit status and fills `output` with stdout.
int run_command(const std::string& command, std::string& output) {
  output.clear();
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw Error("slurm", "cannot run: " + command);
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t first = 0;
  while (first < text.size() && std::isspace(static_cast<unsigned char>(text[first]))) ++first;
  return text.substr(first);
}

// True while the job (or any of its array tasks) is pending or running.
bool job_in_queue(const std::string& job_id) {
  std::string output;
  int status = run_command("squeue -h -j " + job_id + " -o %i 2>/dev/null", output);
  return status == 0 && !trim(output).empty();
}

std::string submit(const std::string& script_path) {
  std::string output;
  int status = run_command("sbatch --parsable " + shell_quote(script_path) + " 2>&1", output);
  output = trim(output);
  if (status != 0) throw Error(script_path, "sbatch failed (exit " + std::to_string(status) + "): " + output);
  std::string job_id = output.substr(0, output.find(';'));  // "<id>;<cluster>" on federations
  if (job_id.empty() || job_id.find_first_not_of("0123456789") != std::string::npos)
    throw Error(script_path, "unexpected sbatch output: " + output);
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
  std::string script = "#!/bin/bash\n";
  script += "#SBATCH --job-name=qs-" + study.name + "\n";
  script += "#SBATCH --array=" + slurm_array_spec(indices, r.max_parallel) + "\n";
  script += "#SBATCH --output=" + slurm_dir(study) + "/logs/%A_%a.out\n";
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
  auto start = std::chrono::steady_clock::now();
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
  if (fs::exists(job_file) && job_in_queue(trim(read_file(job_file)))) {
    job_id = trim(read_file(job_file));
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
  summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

SweepSummary run_sweep(const Study& study, const SweepOptions& options) {
  bool slurm = options.backend == "slurm";
  SweepSummary summary = slurm ? run_sweep_slurm(study, options) : run_sweep_local(study, options);
  print_summary(summary, slurm ? 0 : options.jobs);
  return summary;
}

}  // namespace qs
