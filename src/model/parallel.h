#pragma once
// When an OpenMP loop is worth its fork/join: below ~64k elementary operations the barrier
// costs more than the work, and on a loaded machine a barrier waits for a descheduled peer
// thread (measured: tiny-model generation 30 ms alone, 6 s with every loop parallel at load 12
// on 2 cores). Use as `#pragma omp parallel for if (qs::worth_parallel(work))`.
#include <cstdint>

namespace qs {

constexpr int64_t kMinParallelWork = int64_t{1} << 16;
constexpr bool worth_parallel(int64_t work) { return work >= kMinParallelWork; }

}  // namespace qs
