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

// Row r of `scores` sees keys [0, first_visible + r / rows_per_position] (the causal mask; a
// decode task's rows are the query heads of one KV group at one position, rows_per_position =
// group); the rest get probability 0.
void softmax_rows_causal(float* scores, int64_t rows, int64_t ld, int64_t first_visible, int64_t rows_per_position) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = scores + r * ld;
    const int64_t visible = first_visible + r / rows_per_position + 1;
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

namespace hn = hwy::HWY_NAMESPACE;

// Decode attention of one KV group over its cached positions, each cached key and value read
// once for all `rows` query heads of the group (sgemv per head read them `rows` times; a
// two-row sgemm packs them first). q and out: rows × hd, row stride hd; keys, values: past × hd
// (the cache's head-major rows); scores: rows × ld. Written here because the library calls were
// the bottleneck: BM_DecodeContext (8 sequences after 1,024 tokens) 0.209 s a step with sgemv per
// head, 0.159 with these (medians of 3, docs/engine.md).
//   scores[r, t] = scale · q_r · k_t
void GroupScores(const float* q, int64_t rows, const float* keys, int64_t past, int64_t hd, float scale, float* scores,
                 int64_t ld) {
  const hn::ScalableTag<float> df;
  const auto n = static_cast<int64_t>(hn::Lanes(df));
  const int64_t vector_end = hd / n * n;
  for (int64_t t = 0; t < past; ++t) {
    const float* key = keys + t * hd;
    for (int64_t r = 0; r < rows; ++r) {
      const float* qr = q + r * hd;
      auto even = hn::Zero(df), odd = hn::Zero(df);
      int64_t d = 0;
      for (; d + 2 * n <= vector_end; d += 2 * n) {
        even = hn::MulAdd(hn::LoadU(df, qr + d), hn::LoadU(df, key + d), even);
        odd = hn::MulAdd(hn::LoadU(df, qr + d + n), hn::LoadU(df, key + d + n), odd);
      }
      for (; d < vector_end; d += n) even = hn::MulAdd(hn::LoadU(df, qr + d), hn::LoadU(df, key + d), even);
      float dot = hn::GetLane(hn::SumOfLanes(df, hn::Add(even, odd)));
      for (; d < hd; ++d) dot += qr[d] * key[d];
      scores[r * ld + t] = scale * dot;
    }
  }
}

//   out_r = Σ_t p[r, t] · v_t
void GroupValues(const float* p, int64_t rows, int64_t ld, const float* values, int64_t past, int64_t hd, float* out) {
  const hn::ScalableTag<float> df;
  const auto n = static_cast<int64_t>(hn::Lanes(df));
  const int64_t vector_end = hd / n * n;
  std::fill(out, out + rows * hd, 0.0f);
  for (int64_t t = 0; t < past; ++t) {
    const float* value = values + t * hd;
    for (int64_t r = 0; r < rows; ++r) {
      float* out_r = out + r * hd;
      const float weight = p[r * ld + t];
      const auto w = hn::Set(df, weight);
      int64_t d = 0;
      for (; d < vector_end; d += n) hn::StoreU(hn::MulAdd(w, hn::LoadU(df, value + d), hn::LoadU(df, out_r + d)), df, out_r + d);
      for (; d < hd; ++d) out_r[d] += weight * value[d];
    }
  }
}

// One unit of a batch's attention: `rows` query rows of one KV group, against the group's cached
// keys (`past` of them, head-major in the cache) and the span's own `n_new` visible keys.
//   prefill: one query head h, a block of query positions [b0, b0 + rows): Q rows q_dim apart;
//   decode (a one-token span): the group's query heads at that position, contiguous in q (row
//     stride head_dim), so the group's keys and values are read once for all of them.
struct AttentionTask {
  const SequenceSpan* span;
  int64_t row0;         // the span's first row in q, k, v, out
  int64_t past;         // cached positions
  int64_t kv_group;     // g
  int64_t head;         // first query head of the task
  int64_t b0, rows;     // query positions [b0, b0 + rows) (prefill) or heads [head, head + rows) (decode)
  bool decode;
};

struct AttentionInputs {
  const ModelConfig& config;
  int64_t layer;
  const float *q, *k, *v;
  float* out;
  float scale;
};

void run_task(const AttentionInputs& in, const AttentionTask& task, std::vector<float>& scores) {
  const auto qi = [](int64_t x) { return static_cast<int>(x); };
  const int64_t hd = in.config.head_dim, q_dim = in.config.q_dim(), kv_dim = in.config.kv_dim();
  const int64_t past = task.past, g = task.kv_group;
  const int64_t n_new = task.decode ? 1 : task.b0 + task.rows;  // new keys visible to the last row
  const int64_t ld = past + n_new;
  const int64_t q_row = task.row0 + (task.decode ? 0 : task.b0);
  const float* q_block = in.q + q_row * q_dim + task.head * hd;
  float* out_block = in.out + q_row * q_dim + task.head * hd;
  const int64_t ld_q = task.decode ? hd : q_dim;
  const float* k_new = in.k + task.row0 * kv_dim + g * hd;
  const float* v_new = in.v + task.row0 * kv_dim + g * hd;
  if (scores.size() < static_cast<size_t>(task.rows * ld)) scores.resize(static_cast<size_t>(task.rows * ld));
  // scores = scale · Q_block · [K_past; K_new]ᵀ
  const float* k_past = past > 0 ? task.span->cache->keys(in.layer, g) : nullptr;
  const float* v_past = past > 0 ? task.span->cache->values(in.layer, g) : nullptr;
  if (past > 0 && task.decode) {
    GroupScores(q_block, task.rows, k_past, past, hd, in.scale, scores.data(), ld);
  } else if (past > 0) {
    blas::sgemm(Trans::No, Trans::Yes, qi(task.rows), qi(past), qi(hd), in.scale, q_block, qi(ld_q), k_past, qi(hd),
                0.0f, scores.data(), qi(ld));
  }
  blas::sgemm(Trans::No, Trans::Yes, qi(task.rows), qi(n_new), qi(hd), in.scale, q_block, qi(ld_q), k_new, qi(kv_dim),
              0.0f, scores.data() + past, qi(ld));
  softmax_rows_causal(scores.data(), task.rows, ld, past + (task.decode ? 0 : task.b0), task.decode ? task.rows : 1);
  // out_block = P_past · V_past + P_new · V_new
  if (past > 0 && task.decode) {
    GroupValues(scores.data(), task.rows, ld, v_past, past, hd, out_block);
  } else if (past > 0) {
    blas::sgemm(Trans::No, Trans::No, qi(task.rows), qi(hd), qi(past), 1.0f, scores.data(), qi(ld), v_past, qi(hd),
                0.0f, out_block, qi(ld_q));
  }
  blas::sgemm(Trans::No, Trans::No, qi(task.rows), qi(hd), qi(n_new), 1.0f, scores.data() + past, qi(ld), v_new,
              qi(kv_dim), past > 0 ? 1.0f : 0.0f, out_block, qi(ld_q));
}

// Every span's tasks: a one-token span one per KV group, a longer one one per query head and
// block of kQueryBlock positions.
std::vector<AttentionTask> attention_tasks(const ModelConfig& config, const SequenceBatch& batch) {
  const int64_t group = config.n_heads / config.n_kv_heads;
  std::vector<AttentionTask> tasks;
  int64_t row0 = 0;
  for (const SequenceSpan& span : batch) {
    const int64_t n = span.n_tokens, past = span.cache ? span.cache->length() : 0;
    if (n == 1) {
      for (int64_t g = 0; g < config.n_kv_heads; ++g) tasks.push_back({&span, row0, past, g, g * group, 0, group, true});
    } else {
      for (int64_t h = 0; h < config.n_heads; ++h)
        for (int64_t b0 = 0; b0 < n; b0 += kQueryBlock)
          tasks.push_back({&span, row0, past, h / group, h, b0, std::min(kQueryBlock, n - b0), false});
    }
    row0 += n;
  }
  return tasks;
}

}  // namespace

void CausalAttention(const ModelConfig& config, int64_t layer, const SequenceBatch& batch, const float* q,
                     const float* k, const float* v, float* out) {
  const int64_t kv_dim = config.kv_dim();
  const AttentionInputs inputs{config, layer, q, k, v, out,
                               static_cast<float>(1.0 / std::sqrt(static_cast<double>(config.head_dim)))};
  const std::vector<AttentionTask> tasks = attention_tasks(config, batch);
  // The whole batch's tasks in one parallel region, each task's GEMMs on one thread (OpenBLAS runs
  // single-threaded inside an OpenMP region): one fork per layer instead of one per sequence (a
  // decode step of 8 sequences forked 8 times per layer) or a multithreaded GEMM hand-off per
  // head and query block, whose GEMMs (128 x 512 x 128) are too small to split well.
  int64_t multiply_adds = 0;
  for (const SequenceSpan& span : batch)
    multiply_adds += config.n_heads * span.n_tokens * ((span.cache ? span.cache->length() : 0) + span.n_tokens) * config.head_dim;
  const bool parallel = tasks.size() > 1 && worth_threaded_product(multiply_adds);
  // Serial tasks are a small product: keep BLAS from forking inside them.
  const OneBlasThreadScope one_thread_when_serial(!parallel);
#pragma omp parallel if (parallel)
  {
    std::vector<float> scores;
#pragma omp for schedule(dynamic)
    for (size_t t = 0; t < tasks.size(); ++t) run_task(inputs, tasks[t], scores);
  }
  int64_t row0 = 0;
  for (const SequenceSpan& span : batch) {
    if (span.cache && span.store) span.cache->store(layer, k + row0 * kv_dim, v + row0 * kv_dim, span.n_tokens, kv_dim);
    row0 += span.n_tokens;
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
