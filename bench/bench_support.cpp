#include "bench_support.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/atomic_file.h"
#include "core/blas.h"
#include "core/shared_paths.h"
#include "io/random_checkpoint.h"

namespace qs::bench_support {

using Clock = std::chrono::steady_clock;
using blas::Trans;

double process_cpu_seconds() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return 0;
}

// "5" resets the peak resident set (VmHWM) to the current one (Linux >= 4.0, proc(5)).
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

namespace {

// GFLOP per wall and per CPU second of `multiply` (`flops` a call) after one warm-up call,
// repeated for 300 ms.
template <typename Multiply>
GemmPeak gflops_of(double flops, Multiply multiply) {
  multiply();
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  int reps = 0;
  do {
    multiply();
    ++reps;
  } while (Clock::now() - start < std::chrono::milliseconds(300));
  const double gflop = flops * reps / 1e9;
  return {gflop / std::chrono::duration<double>(Clock::now() - start).count(), gflop / (process_cpu_seconds() - cpu_start)};
}

template <typename Real, typename Gemm>
GemmPeak gemm_gflops(int m, int n, int k, Gemm gemm) {
  std::vector<Real> a(static_cast<size_t>(m) * k, Real(0.5)), b(static_cast<size_t>(n) * k, Real(0.25)),
      c(static_cast<size_t>(m) * n);
  return gflops_of(2.0 * m * n * k, [&] { gemm(Trans::No, Trans::Yes, m, n, k, Real(1), a.data(), k, b.data(), k, Real(0), c.data(), n); });
}

template <typename Real, typename Gemm>
GemmPeak gemm_peak(int runs, Gemm gemm) {
  GemmPeak best;
  for (int r = 0; r < runs; ++r) {
    const GemmPeak run = gemm_gflops<Real>(2048, 2048, 2048, gemm);
    if (run.wall > best.wall) best = run;
  }
  return best;
}

}  // namespace

double sgemm_gflops(int m, int n, int k) { return gemm_gflops<float>(m, n, k, blas::sgemm).wall; }
GemmPeak measure_gemm_peak(bool fp64, int runs) {
  return fp64 ? gemm_peak<double>(runs, blas::dgemm) : gemm_peak<float>(runs, blas::sgemm);
}
double measure_sgemm_peak(int runs) { return measure_gemm_peak(false, runs).wall; }
double measure_dgemm_peak(int runs) { return measure_gemm_peak(true, runs).wall; }

ForwardFlops::ForwardFlops(const ModelConfig& config)
    : per_token(2.0 * static_cast<double>(config.parameter_count().non_embedding)),
      per_lm_head_row(2.0 * static_cast<double>(config.vocab_size) * static_cast<double>(config.d_model)),
      per_key(4.0 * static_cast<double>(config.q_dim()) * static_cast<double>(config.n_layers)) {}

// Token i of the new ones (0-based) attends to past + i + 1 keys: n · past + n (n + 1) / 2 pairs.
double ForwardFlops::sequence(int64_t tokens, int64_t past, int64_t lm_head_rows) const {
  const auto n = static_cast<double>(tokens);
  const double pairs = n * static_cast<double>(past) + n * (n + 1) / 2;
  return per_token * n + per_lm_head_row * static_cast<double>(lm_head_rows) + per_key * pairs;
}

namespace {

// Removes the scratch folder at normal exit (a static's destructor), whatever benchmark ran.
struct ScratchFolder {
  ScratchFolder()
      : path((std::filesystem::temp_directory_path() / ("qs_bench_" + std::to_string(getpid()))).string()) {
    std::filesystem::create_directories(path);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string path;
};

}  // namespace

const std::string& scratch_dir() {
  static const ScratchFolder folder;
  return folder.path;
}

std::string qwen3_shapes_checkpoint(int64_t layers, double scale) {
  const std::string dir = scratch_dir() + "/qwen3_0.6b_random_" + std::to_string(layers) + "l_" + std::to_string(scale);
  if (!std::filesystem::exists(dir + "/model.safetensors")) {
    const TinyShape shape{1024, layers, 16, 8, 128, 3072, 151936, 40960};
    const std::string config = read_file(shared_path("hf/Qwen-Qwen3-0.6B/config.json"));
    write_random_checkpoint(dir, shrink_config_json(config, shape), {.dtype = DType::BF16, .scale = scale});
    std::filesystem::copy_file(shared_path("hf/Qwen-Qwen3-tokenizer/tokenizer.json"), dir + "/tokenizer.json",
                               std::filesystem::copy_options::overwrite_existing);
  }
  return dir;
}

}  // namespace qs::bench_support
