#pragma once
// When an OpenMP loop is worth its fork/join: below ~64k elementary operations the barrier
// costs more than the work, and on a loaded machine a barrier waits for a descheduled peer
// thread (measured: tiny-model generation 30 ms alone, 6 s with every loop parallel at load 12
// on 2 cores). Use as `#pragma omp parallel for if (qs::worth_parallel(work))`.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "core/blas.h"

namespace qs {

constexpr int64_t kMinParallelWork = int64_t{1} << 16;
constexpr bool worth_parallel(int64_t work) { return work >= kMinParallelWork; }

// When a matrix product of `multiply_adds` is worth splitting between threads (an OpenMP region
// around single-threaded GEMMs, or a threaded BLAS call): below ~4M multiply-adds the hand-off
// costs more than it saves.
constexpr int64_t kMinThreadedProductWork = int64_t{1} << 22;
constexpr bool worth_threaded_product(int64_t multiply_adds) { return multiply_adds >= kMinThreadedProductWork; }

// Inside an OpenMP parallel region: this thread's contiguous share [begin, end) of [0, n), each
// share ceil(n / threads) rounded up to a multiple of `align` (the last ones may be short or
// empty); outside a region, or on one thread, all of it.
inline std::pair<int64_t, int64_t> thread_share(int64_t n, int64_t align) {
  const int64_t threads = omp_get_num_threads(), thread = omp_get_thread_num();
  const int64_t share = ((n + threads - 1) / threads + align - 1) / align * align;
  const int64_t begin = std::min(n, thread * share);
  return {begin, std::min(n, begin + share)};
}

// BLAS on one thread for this scope when `active` (a product that is not
// worth_threaded_product; with the per-head attention GEMMs of a small model it was the bulk
// of the run time on a busy 2-core machine). Restores the previous thread count.
class OneBlasThreadScope {
 public:
  explicit OneBlasThreadScope(bool active) : previous_(active ? blas::threads() : 0) {
    if (previous_ > 1) blas::set_threads(1);
  }
  ~OneBlasThreadScope() {
    if (previous_ > 1) blas::set_threads(previous_);
  }
  OneBlasThreadScope(const OneBlasThreadScope&) = delete;
  OneBlasThreadScope& operator=(const OneBlasThreadScope&) = delete;

 private:
  int previous_;
};

}  // namespace qs
