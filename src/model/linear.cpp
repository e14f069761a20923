#include "model/linear.h"

#include <algorithm>
#include <vector>

#include "core/blas.h"
#include "model/parallel.h"

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
}  // namespace

void widen_rows(const WeightMatrix& w, int64_t row_begin, int64_t row_end, float* dst) {
  const int64_t in = w.in_features();
#pragma omp parallel for schedule(static) if (worth_parallel((row_end - row_begin) * in))
  for (int64_t r = row_begin; r < row_end; r += 16)
    w.rows_to_f32(r, std::min(row_end, r + 16), dst + (r - row_begin) * in);
}

void linear_forward(const WeightMatrix& w, const float* bias, const float* x, int64_t n_tokens, float* y) {
  const int64_t out = w.out_features(), in = w.in_features();
  if (n_tokens == 0 || out == 0) return;
  if (const float* dense = w.f32_data()) {
    blas::sgemm(blas::Trans::No, blas::Trans::Yes, static_cast<int>(n_tokens), static_cast<int>(out),
                static_cast<int>(in), 1.0f, x, static_cast<int>(in), dense, static_cast<int>(in), 0.0f, y,
                static_cast<int>(out));
  } else {
    const int64_t rows = tile_rows(out, in);
    std::vector<float> tile(static_cast<size_t>(rows * in));
    for (int64_t r0 = 0; r0 < out; r0 += rows) {
      const int64_t r1 = std::min(out, r0 + rows);
      widen_rows(w, r0, r1, tile.data());
      blas::sgemm(blas::Trans::No, blas::Trans::Yes, static_cast<int>(n_tokens), static_cast<int>(r1 - r0),
                  static_cast<int>(in), 1.0f, x, static_cast<int>(in), tile.data(), static_cast<int>(in), 0.0f,
                  y + r0, static_cast<int>(out));
    }
  }
  if (bias != nullptr) {
#pragma omp parallel for schedule(static) if (worth_parallel(n_tokens * out))
    for (int64_t t = 0; t < n_tokens; ++t)
      for (int64_t o = 0; o < out; ++o) y[t * out + o] += bias[o];
  }
}

}  // namespace qs
