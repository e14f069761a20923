#include "model/linear.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "core/blas.h"
#include "core/parallel.h"

namespace qs {

namespace {
// Rows of W widened per tile: enough columns for sgemm to run at full speed, few enough that
// the scratch buffer (kTileFloats * 4 bytes) stays in the last-level cache.
constexpr int64_t kTileFloats = int64_t{1} << 20;

int64_t tile_rows(int64_t out, int64_t in) {
  int64_t rows = std::max<int64_t>(64, kTileFloats / std::max<int64_t>(in, 1));
  rows = (rows + 15) / 16 * 16;
  return std::min(rows, out);
}

// The small-batch product splits the output rows between the threads in whole chunks of this
// many: a multiple of every vector width (16 fp32 lanes), and 256 bytes of y per token — no
// two threads write one cache line.
constexpr int64_t kProductRows = 64;

std::atomic<bool> g_small_batch{true};
std::atomic<bool> g_thread_tiles{true};

// y[:, r] (+)= x · Wᵀ via accumulate_product, one call per thread on a contiguous range of
// whole 64-row chunks: a stored form whose rows are not contiguous in memory (GPTQ's
// input-major qweight) is then read along its rows over the whole range.
void small_batch_forward(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y) {
  const int64_t out = w.out_features();
#pragma omp parallel if (worth_parallel(n_tokens * out * w.in_features()))
  {
    const auto [begin, end] = thread_share(out, kProductRows);
    if (begin < end) w.accumulate_product(x, n_tokens, begin, end, y);
  }
}

// Floats of one thread's tile in tiled_forward: 1 MiB, the L2 of one core here, so sgemm packs
// the tile from L2 right after it was written.
constexpr int64_t kThreadTileFloats = int64_t{1} << 18;

// Widen + sgemm with the output rows split between the threads: each widens its own tiles
// (columns_to_f32 where the matrix has it, else rows_to_f32) and multiplies them with a
// single-threaded sgemm (OpenBLAS does not fork inside an OpenMP region). One fork per call
// and no barrier between widening and product: with a shared tile each tile cost two fork/joins
// (parallel widen, threaded sgemm), and on a busy machine every join waits for a descheduled
// peer (GPTQ-4 prefill 0.62× F32 at load 6, 0.94× on one thread; docs/engine.md).
void thread_tiled_forward(const WeightMatrix& w, const float* x, int64_t n_tokens, float beta, float* y) {
  const int64_t out = w.out_features(), in = w.in_features();
  const auto i = [](int64_t value) { return static_cast<int>(value); };
  const bool parallel = worth_threaded_product(n_tokens * out * in);
#pragma omp parallel if (parallel)
  {
    const auto [begin, end] = thread_share(out, 16);
    const int64_t rows = std::max<int64_t>(16, kThreadTileFloats / std::max<int64_t>(in, 1) / 16 * 16);
    std::vector<float> tile(static_cast<size_t>(std::min(rows, std::max<int64_t>(end - begin, 0)) * in));
    for (int64_t r0 = begin; r0 < end; r0 += rows) {
      const int64_t r1 = std::min(end, r0 + rows);
      if (w.columns_to_f32(r0, r1, tile.data(), r1 - r0)) {
        blas::sgemm(blas::Trans::No, blas::Trans::No, i(n_tokens), i(r1 - r0), i(in), 1.0f, x, i(in), tile.data(),
                    i(r1 - r0), beta, y + r0, i(out));
      } else {
        w.rows_to_f32(r0, r1, tile.data());
        blas::sgemm(blas::Trans::No, blas::Trans::Yes, i(n_tokens), i(r1 - r0), i(in), 1.0f, x, i(in), tile.data(),
                    i(in), beta, y + r0, i(out));
      }
    }
  }
}
}  // namespace

void set_linear_paths(LinearPaths paths) {
  g_small_batch.store(paths.small_batch);
  g_thread_tiles.store(paths.thread_tiles);
}

LinearPaths linear_paths() { return {g_small_batch.load(), g_thread_tiles.load()}; }

void widen_rows(const WeightMatrix& w, int64_t row_begin, int64_t row_end, float* dst) {
  const int64_t in = w.in_features();
#pragma omp parallel for schedule(static) if (worth_parallel((row_end - row_begin) * in))
  for (int64_t r = row_begin; r < row_end; r += 16)
    w.rows_to_f32(r, std::min(row_end, r + 16), dst + (r - row_begin) * in);
}

void linear_forward(const WeightMatrix& w, const float* bias, const float* x, int64_t n_tokens, float* y,
                    Accumulate accumulate) {
  const int64_t out = w.out_features(), in = w.in_features();
  if (n_tokens == 0 || out == 0) return;
  // The bias goes into y before the product (y = bias, or y += bias), which then adds with
  // beta = 1: one pass over y either way, and OpenBLAS skips its own beta = 0 pass over C.
  if (bias != nullptr) {
    const bool add = accumulate == Accumulate::Yes;
#pragma omp parallel for schedule(static) if (worth_parallel(n_tokens * out))
    for (int64_t t = 0; t < n_tokens; ++t) {
      float* row = y + t * out;
      if (add)
        for (int64_t o = 0; o < out; ++o) row[o] += bias[o];
      else
        std::copy_n(bias, out, row);
    }
  }
  const float beta = bias != nullptr || accumulate == Accumulate::Yes ? 1.0f : 0.0f;
  if (n_tokens <= w.small_batch_tokens() && g_small_batch.load(std::memory_order_relaxed)) {
    if (beta == 0.0f) std::fill_n(y, n_tokens * out, 0.0f);
    small_batch_forward(w, x, n_tokens, y);
    return;
  }
  const auto i = [](int64_t value) { return static_cast<int>(value); };
  if (const float* dense = w.f32_data()) {
    blas::sgemm(blas::Trans::No, blas::Trans::Yes, i(n_tokens), i(out), i(in), 1.0f, x, i(in), dense, i(in), beta, y,
                i(out));
    return;
  }
  if (g_thread_tiles.load(std::memory_order_relaxed)) {
    thread_tiled_forward(w, x, n_tokens, beta, y);
    return;
  }
  const int64_t rows = tile_rows(out, in);
  std::vector<float> tile(static_cast<size_t>(rows * in));
  for (int64_t r0 = 0; r0 < out; r0 += rows) {
    const int64_t r1 = std::min(out, r0 + rows);
    widen_rows(w, r0, r1, tile.data());
    blas::sgemm(blas::Trans::No, blas::Trans::Yes, i(n_tokens), i(r1 - r0), i(in), 1.0f, x, i(in), tile.data(), i(in),
                beta, y + r0, i(out));
  }
}

}  // namespace qs
