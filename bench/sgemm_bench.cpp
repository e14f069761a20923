// OpenBLAS sgemm throughput: the peak every other benchmark is reported against.
#include <benchmark/benchmark.h>

#include <vector>

#include "core/blas.h"

namespace {

void BM_Sgemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<float> a(static_cast<size_t>(n) * n, 1.0f), b(a), c(a.size());
  for (auto _ : state) {
    qs::blas::sgemm(qs::blas::Trans::No, qs::blas::Trans::No, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                    c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_Sgemm)->Arg(512)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
