#include "model/weight_matrix.h"

#include <algorithm>
#include <vector>

namespace qs {

void WeightMatrix::accumulate_product(const float* x, int64_t n_tokens, int64_t row_begin, int64_t row_end,
                                      float* y) const {
  const int64_t in = in_features(), out = out_features();
  constexpr int64_t kRows = 16;
  std::vector<float> rows(static_cast<size_t>(kRows * in));
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kRows) {
    const int64_t r1 = std::min(row_end, r0 + kRows);
    rows_to_f32(r0, r1, rows.data());
    for (int64_t t = 0; t < n_tokens; ++t)
      for (int64_t o = r0; o < r1; ++o) {
        const float* w = rows.data() + (o - r0) * in;
        float sum = 0;
        for (int64_t i = 0; i < in; ++i) sum += w[i] * x[t * in + i];
        y[t * out + o] += sum;
      }
  }
}

}  // namespace qs
