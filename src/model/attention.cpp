// Per-target file (core/cpu_dispatch.h): Highway compiles attention once per instruction set
// (the causal softmax is its hot loop) and the dispatcher picks one at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "model/attention.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/blas.h"
#include "core/cpu_dispatch.h"
#include "core/vector_math.h"
#include "hwy/highway.h"
#include "model/attention.h"
#include "core/parallel.h"

HWY_BEFORE_NAMESPACE();
namespace qs {
namespace HWY_NAMESPACE {

namespace {

using blas::Trans;

// Query rows per block: the causal mask lets block b skip the keys after its last row, so the
// wasted half of Q·Kᵀ shrinks to 1/(2·blocks).
constexpr int64_t kQueryBlock = 128;

void softmax_rows_causal(float* scores, int64_t rows, int64_t ld, int64_t first_visible) {
  // Row r sees keys [0, first_visible + r]; the rest are masked out (probability 0).
  for (int64_t r = 0; r < rows; ++r) {
    float* row = scores + r * ld;
    const int64_t visible = first_visible + r + 1;
    float max_score = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : max_score)
    for (int64_t j = 0; j < visible; ++j) max_score = std::max(max_score, row[j]);
#pragma omp simd
    for (int64_t j = 0; j < visible; ++j) row[j] -= max_score;
    exp_nonpositive_in_place(row, visible);
    float sum = 0;  // <= max_position terms in (0, 1], one of them 1: fp32 loses < 1e-6 relative
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < visible; ++j) sum += row[j];
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int64_t j = 0; j < visible; ++j) row[j] *= inv;
    std::fill(row + visible, row + ld, 0.0f);
  }
}

}  // namespace

void CausalAttention(const ModelConfig& config, int64_t layer, const SequenceBatch& batch, const float* q,
                     const float* k, const float* v, float* out) {
  const int64_t hd = config.head_dim, q_dim = config.q_dim(), kv_dim = config.kv_dim();
  const int64_t group = config.n_heads / config.n_kv_heads;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  const auto qi = [](int64_t x) { return static_cast<int>(x); };
  int64_t row0 = 0;
  for (const SequenceSpan& span : batch) {
    const int64_t n = span.n_tokens;
    const int64_t past = span.cache ? span.cache->length() : 0;
    const float* k_new = k + row0 * kv_dim;
    const float* v_new = v + row0 * kv_dim;
    const float* k_past = span.cache ? span.cache->keys(layer) : nullptr;
    const float* v_past = span.cache ? span.cache->values(layer) : nullptr;
    // Heads in parallel, each head's GEMMs on one thread (OpenBLAS runs single-threaded inside
    // an OpenMP region): one fork per sequence instead of a multithreaded GEMM hand-off per head
    // and query block, whose GEMMs (128 x 512 x 128) are too small to split well.
    const int64_t multiply_adds = config.n_heads * n * (past + n) * hd;
    const bool parallel_heads = config.n_heads > 1 && worth_threaded_product(multiply_adds);
    // Serial heads are a small product: keep BLAS from forking inside them.
    const OneBlasThreadScope one_thread_when_serial(!parallel_heads);
#pragma omp parallel if (parallel_heads)
    {
      std::vector<float> scores(static_cast<size_t>(std::min(kQueryBlock, n) * (past + n)));
#pragma omp for schedule(static)
      for (int64_t h = 0; h < config.n_heads; ++h) {
        const int64_t g = h / group;
        for (int64_t b0 = 0; b0 < n; b0 += kQueryBlock) {
          const int64_t rows = std::min(kQueryBlock, n - b0);
          const int64_t n_new = b0 + rows;  // new keys visible to the block's last row
          const int64_t ld = past + n_new;
          const float* q_block = q + (row0 + b0) * q_dim + h * hd;
          // scores = scale · Q_block · [K_past; K_new]ᵀ
          if (past > 0)
            blas::sgemm(Trans::No, Trans::Yes, qi(rows), qi(past), qi(hd), scale, q_block, qi(q_dim), k_past + g * hd,
                        qi(kv_dim), 0.0f, scores.data(), qi(ld));
          blas::sgemm(Trans::No, Trans::Yes, qi(rows), qi(n_new), qi(hd), scale, q_block, qi(q_dim), k_new + g * hd,
                      qi(kv_dim), 0.0f, scores.data() + past, qi(ld));
          softmax_rows_causal(scores.data(), rows, ld, past + b0);
          // out_block = P_past · V_past + P_new · V_new
          float* out_block = out + (row0 + b0) * q_dim + h * hd;
          if (past > 0)
            blas::sgemm(Trans::No, Trans::No, qi(rows), qi(hd), qi(past), 1.0f, scores.data(), qi(ld),
                        v_past + g * hd, qi(kv_dim), 0.0f, out_block, qi(q_dim));
          blas::sgemm(Trans::No, Trans::No, qi(rows), qi(hd), qi(n_new), 1.0f, scores.data() + past, qi(ld),
                      v_new + g * hd, qi(kv_dim), past > 0 ? 1.0f : 0.0f, out_block, qi(q_dim));
        }
      }
    }
    if (span.cache && span.store) span.cache->store(layer, k_new, v_new, n, kv_dim);
    row0 += n;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace qs
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qs {

HWY_EXPORT(CausalAttention);

void causal_attention(const ModelConfig& config, int64_t layer, const SequenceBatch& batch, const float* q,
                      const float* k, const float* v, float* out) {
  QS_DISPATCH(CausalAttention)(config, layer, batch, q, k, v, out);
}

}  // namespace qs
#endif  // HWY_ONCE
