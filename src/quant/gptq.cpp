#include "quant/gptq.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <utility>

#include <omp.h>

#include "core/blas.h"
#include "core/error.h"
#include "core/stage_timer.h"
#include "core/parallel.h"
#include "quant/gptq_kernels.h"

namespace qs {
namespace {

// Parameters of one group for output rows [row_begin, row_end): rows [col_begin, col_end) of the
// transposed weight wt[in, out] are the group's input features. find_grid_params wants
// [rows, group] rows, so the block is transposed.
void group_params(const std::vector<double>& wt, int64_t out, int64_t row_begin, int64_t row_end, int64_t col_begin,
                  int64_t col_end, const QuantGrid& grid, double* scale, double* zero) {
  const int64_t width = col_end - col_begin, rows = row_end - row_begin;
  std::vector<double> block(rows * width);
  for (int64_t c = 0; c < width; ++c)
    for (int64_t o = row_begin; o < row_end; ++o) block[(o - row_begin) * width + c] = wt[(col_begin + c) * out + o];
  find_grid_params(block.data(), rows, width, width, grid, scale + row_begin, zero + row_begin);
}

// Columns of a 128-block quantized with rank-1 updates before a GEMM updates the rest of the block.
constexpr int64_t kSubBlock = 16;

// This thread's share [begin, end) of `rows`, cut at multiples of 8 (one cache line of doubles).
std::pair<int64_t, int64_t> thread_rows(int64_t rows) {
  const int64_t threads = omp_get_num_threads(), thread = omp_get_thread_num();
  const int64_t lines = (rows + 7) / 8;
  const int64_t begin = std::min(rows, lines * thread / threads * 8), end = std::min(rows, lines * (thread + 1) / threads * 8);
  return {begin, end};
}

// W [out, in] fp32 -> W^T [in, out] fp64, so that a column of W is contiguous. In 32 x 32 tiles:
// a plain loop reads `weight` with a stride of a whole row.
std::vector<double> transpose_to_f64(const float* weight, int64_t out, int64_t in) {
  std::vector<double> wt(in * out);
  constexpr int64_t kTile = 32;
#pragma omp parallel for if (worth_parallel(in * out))
  for (int64_t i0 = 0; i0 < in; i0 += kTile)
    for (int64_t o0 = 0; o0 < out; o0 += kTile)
      for (int64_t o = o0; o < std::min(o0 + kTile, out); ++o)
        for (int64_t i = i0; i < std::min(i0 + kTile, in); ++i) wt[i * out + o] = weight[o * in + i];
  return wt;
}

// Rows of wt [in, out] in processing order: row c becomes the old row perm[c].
void permute_rows(std::vector<double>& wt, const std::vector<int64_t>& perm, int64_t out) {
  std::vector<double> permuted(wt.size());
  for (size_t c = 0; c < perm.size(); ++c) std::copy_n(wt.begin() + perm[c] * out, out, permuted.begin() + c * out);
  wt.swap(permuted);
}

// V upper with V V^T = H_pp + damp * mean(diag H) * I for H_pp = H[perm, perm], into `v` (lower
// part zero). Returns false when LAPACK finds a non-positive pivot. With P the reversal
// permutation and P H_pp P = L L^T: H_pp = (P L P)(P L P)^T, and V = P L P is upper. Reversing a
// row-major n x n buffer is exactly X -> P X P, so the buffer gets P H_pp P's lower triangle (all
// LAPACK reads), zeros above, and one final reverse. (The reference computes chol(H) -> H^-1 ->
// chol(H^-1): 4n^3/3 flops; this is n^3/3.)
bool damped_flipped_cholesky(const std::vector<double>& h, const std::vector<int64_t>& perm, int64_t n, double damp,
                             std::vector<double>& v) {
  double mean_diag = 0;
  for (int64_t i = 0; i < n; ++i) mean_diag += h[i * n + i];
  mean_diag /= static_cast<double>(n);
  v.assign(n * n, 0.0);
#pragma omp parallel for schedule(dynamic, 16) if (worth_parallel(n * n))
  for (int64_t r = 0; r < n; ++r) {
    const double* source_row = &h[perm[n - 1 - r] * n];
    for (int64_t c = 0; c <= r; ++c) v[r * n + c] = source_row[perm[n - 1 - c]];
    v[r * n + r] += damp * mean_diag;  // P commutes with I
  }
  const int dim = static_cast<int>(n);
  if (blas::dpotrf_lower(dim, v.data(), dim) != 0) return false;  // P H_pp P = L L^T
  std::reverse(v.begin(), v.end());                                 // V = P L P (upper)
  return true;
}

// V -> F in place (GptqFactorization): per super-block S = [s, e), F[S, S] = U_SS = (V_SS)^-1,
// then F[:s, S] = V[:s, S] U_SS.
void sweep_factor_from(std::vector<double>& v, int64_t n, int64_t super_block, const std::string& layer) {
  const int ld = static_cast<int>(n);
  for (int64_t s = 0; s < n; s += super_block) {
    const int m = static_cast<int>(std::min(super_block, n - s));
    double* u_ss = &v[s * n + s];
    // V_SS has the positive diagonal of a successful Cholesky, so this can fail only on underflow.
    require(blas::dtrtri_upper(m, u_ss, ld) == 0, layer, "singular Cholesky factor of the Hessian");
    if (s > 0) blas::dtrmm_right_upper(static_cast<int>(s), m, u_ss, ld, &v[s], ld);
  }
}

// Columns per super-block (GptqFactorization): the sweep's block, or lcm(block, group) when a
// dynamic group does not divide it (capped at n: one super-block, F = U).
int64_t super_block_size(const GptqOptions& options, int64_t n) {
  const int64_t block = options.block_size;
  const bool dynamic_groups = options.group_size != -1 && !options.static_groups;
  const int64_t group = std::min<int64_t>(options.group_size, n);
  if (!dynamic_groups || block % group == 0) return std::min(block, n);
  return std::min(std::lcm(block, group), n);
}

// Algorithm 1 of Frantar et al. (arXiv 2210.17323) for W [out, in], U = Cholesky(H^-1)^T upper
// (factor_hessian), processing order perm, blocks of B columns:
//   for i = 0, B, 2B, ...
//     for j = i, ..., i + B - 1
//       Q[:, j]     = quant(W[:, j])                               (quantize_column)
//       E[:, j - i] = (W[:, j] - Q[:, j]) / U_jj
//       W[:, j:i+B] -= E[:, j - i] U[j, j:i+B]                     (update_within_block)
//     W[:, i+B:] -= E U[i:i+B, i+B:]                               (lazy_batch_update)
// with line 10's update applied in two parts (GptqFactorization): inside a super-block S = [s, e)
// as written, W[:, i+B:e] -= E U[i:i+B, i+B:e]; and when S starts, all earlier columns' updates
// at once, W_S += (W - Q)[:, :s] F[:s, S] (begin_super_block).
// State, all [columns, out] (row c = processed column c, contiguous over outputs), fp64:
// wt = W^T in processing order, whose rows become (W - Q)^T as columns are quantized
// (keep_residuals); sweep_w = the current super-block's rows of W^T as Algorithm 1 updates them.
class ColumnSweep {
 public:
  ColumnSweep(const float* weight, int64_t out, int64_t in, int group, const GptqFactorization& factorization,
              const GptqOptions& options)
      : out_(out), in_(in), group_(group), perm_(factorization.perm), u_(factorization.factor),
        grid_(options.grid), per_channel_(options.group_size == -1),
        static_groups_(options.static_groups && options.group_size != -1),
        result_(allocate_quantized_linear(out, in, options.grid.bits, group)),
        wt_(transpose_to_f64(weight, out, in)), scale_(out), zero_(out), zeros_(result_.n_groups() * out, 0),
        sweep_w_(factorization.super_block * out), block_w_(options.block_size * out),
        block_err_(options.block_size * out) {
    // Per-channel parameters come from the whole W before dead inputs are zeroed (the reference's order).
    if (per_channel_) group_params(wt_, out_, 0, out_, 0, in_, grid_, scale_.data(), zero_.data());
    for (int64_t i : factorization.dead) std::fill(wt_.begin() + i * out_, wt_.begin() + (i + 1) * out_, 0.0);
    if (static_groups_)  // every group's parameters from the original column order, before act-order
      for (int64_t g = 0; g < result_.n_groups(); ++g)
        group_params(wt_, out_, 0, out_, g * group_, std::min<int64_t>((g + 1) * group_, in_), grid_,
                     &result_.scales[g * out_], &zeros_[g * out_]);
    if (options.act_order) permute_rows(wt_, perm_, out_);
  }

  // Algorithm 1, lines 4-9 for columns [i1, i2): quantizes them into the codes, leaves the scaled
  // errors E in block_err_ and returns their share of the loss, sum (w - q)^2 / (2 U_jj^2).
  // Output rows are independent inside a block (each row's quantization, error and updates read
  // only that row), so each thread takes a band of rows through all of the block's columns, with
  // no barrier.
  double quantize_block(int64_t i1, int64_t i2) {
    const int64_t count = i2 - i1;
    std::copy(&sweep_w_[(i1 - s_) * out_], &sweep_w_[(i2 - s_) * out_], block_w_.begin());
    double loss = 0;
#pragma omp parallel reduction(+ : loss) if (worth_parallel(out_ * count * count / 2))
    {
      const auto [o_begin, o_end] = thread_rows(out_);
      for (int64_t j = 0; j < count; ++j) {
        const int64_t c = i1 + j;
        load_group_params(c, o_begin, o_end);
        loss += quantize_column(&block_w_[j * out_], scale_.data(), zero_.data(), grid_.maxq(), u_[c * in_ + c],
                                o_begin, o_end, &result_.codes[perm_[c]], in_, &block_err_[j * out_]);
        update_within_block(i1, count, j, o_begin, o_end);
      }
    }
    return loss;
  }

  // The super-block S = [s, e) starts from W_S updated by every earlier column (Algorithm 1's
  // line 10 for all blocks before S): sweep_w = W_S^T + F[:s, S]^T (W - Q)[:, :s]^T, one GEMM.
  void begin_super_block(int64_t s, int64_t e) {
    s_ = s;
    e_ = e;
    std::copy(wt_.begin() + s * out_, wt_.begin() + e * out_, sweep_w_.begin());
    if (s > 0)
      blas::dgemm(blas::Trans::Yes, blas::Trans::No, static_cast<int>(e - s), static_cast<int>(out_),
                  static_cast<int>(s), 1.0, &u_[s], static_cast<int>(in_), wt_.data(), static_cast<int>(out_), 1.0,
                  sweep_w_.data(), static_cast<int>(out_));
  }

  // Algorithm 1, line 10 inside the super-block: W[:, i2:e] -= E U[i1:i2, i2:e], i.e.
  // sweep_w[i2:e, :] -= U[i1:i2, i2:e]^T E^T, one multithreaded GEMM per block (the paper's
  // "lazy batch-updates").
  void lazy_batch_update(int64_t i1, int64_t i2) {
    if (i2 >= e_) return;
    blas::dgemm(blas::Trans::Yes, blas::Trans::No, static_cast<int>(e_ - i2), static_cast<int>(out_),
                static_cast<int>(i2 - i1), -1.0, &u_[i1 * in_ + i2], static_cast<int>(in_), block_err_.data(),
                static_cast<int>(out_), 1.0, &sweep_w_[(i2 - s_) * out_], static_cast<int>(out_));
  }

  // Rows [i1, i2) of wt from W to W - Q, what later super-blocks start from: W - Q =
  // (W - W_updated) + (W_updated - Q), the latter U_jj E[:, j] (quantize_column's residual).
  void keep_residuals(int64_t i1, int64_t i2) {
#pragma omp parallel for if (worth_parallel(out_ * (i2 - i1)))
    for (int64_t j = 0; j < i2 - i1; ++j) {
      const double d = u_[(i1 + j) * in_ + i1 + j];
      double* w = &wt_[(i1 + j) * out_];
      const double* updated = &block_w_[j * out_];
      const double* err = &block_err_[j * out_];
      for (int64_t o = 0; o < out_; ++o) w[o] = w[o] - updated[o] + err[o] * d;
    }
  }

  // The codes, the scales and integer zeros per group, and g_idx[i] = group of input i: static
  // groups are defined on the original columns, the others on the processing order.
  QuantizedLinear finish() {
    if (per_channel_) {
      std::copy(scale_.begin(), scale_.end(), result_.scales.begin());
      std::copy(zero_.begin(), zero_.end(), zeros_.begin());
    }
    result_.zeros.assign(zeros_.begin(), zeros_.end());
    result_.g_idx.assign(in_, 0);
    for (int64_t c = 0; c < in_; ++c)
      result_.g_idx[perm_[c]] = static_cast<int32_t>(static_groups_ ? perm_[c] / group_ : c / group_);
    return std::move(result_);
  }

 private:
  // The grid parameters of processed column c into scale_/zero_ for rows [o_begin, o_end). A
  // dynamic group's parameters are found when its first column is reached, from sweep_w, which
  // holds the updates of earlier blocks only, not of this block's columns (the reference's
  // behaviour); the group lies inside the super-block (super_block_size).
  void load_group_params(int64_t c, int64_t o_begin, int64_t o_end) {
    if (static_groups_) {
      const int64_t g = perm_[c] / group_;
      std::copy(&result_.scales[g * out_ + o_begin], &result_.scales[g * out_ + o_end], scale_.begin() + o_begin);
      std::copy(&zeros_[g * out_ + o_begin], &zeros_[g * out_ + o_end], zero_.begin() + o_begin);
    } else if (!per_channel_ && c % group_ == 0) {
      const int64_t g = c / group_;
      group_params(sweep_w_, out_, o_begin, o_end, c - s_, std::min<int64_t>(c + group_, in_) - s_, grid_, scale_.data(),
                   zero_.data());
      std::copy(scale_.begin() + o_begin, scale_.begin() + o_end, result_.scales.begin() + g * out_ + o_begin);
      std::copy(zero_.begin() + o_begin, zero_.begin() + o_end, zeros_.begin() + g * out_ + o_begin);
    }
  }

  // Algorithm 1, line 8 after column j of the block at i1: W[:, j+1:i2] -= E[:, j] U[j, j+1:i2]
  // for rows [o_begin, o_end). As rank-1 updates only inside a sub-block of kSubBlock columns;
  // when j ends a sub-block, the block's later columns get the sub-block's errors as one small
  // GEMM: the same sums, cache-resident (128 rank-1 updates stream the block from memory 128 times).
  void update_within_block(int64_t i1, int64_t count, int64_t j, int64_t o_begin, int64_t o_end) {
    const int64_t c = i1 + j, sub_end = std::min(count, (j / kSubBlock + 1) * kSubBlock);
    for (int64_t k = j + 1; k < sub_end; ++k)
      subtract_scaled(&block_w_[k * out_], &block_err_[j * out_], u_[c * in_ + i1 + k], o_begin, o_end);
    if (j + 1 < sub_end || sub_end == count || o_end == o_begin) return;
    const int64_t sub_begin = sub_end - kSubBlock;  // a full sub-block ends before `count`
    blas::dgemm(blas::Trans::Yes, blas::Trans::No, static_cast<int>(count - sub_end), static_cast<int>(o_end - o_begin),
                static_cast<int>(kSubBlock), -1.0, &u_[(i1 + sub_begin) * in_ + i1 + sub_end], static_cast<int>(in_),
                &block_err_[sub_begin * out_ + o_begin], static_cast<int>(out_), 1.0,
                &block_w_[sub_end * out_ + o_begin], static_cast<int>(out_));
  }

  const int64_t out_, in_;
  const int group_;
  const std::vector<int64_t>& perm_;  // perm_[c] = original index of processed column c
  const std::vector<double>& u_;      // F [in, in] row-major, upper (GptqFactorization): U inside super-blocks
  const QuantGrid& grid_;
  const bool per_channel_, static_groups_;
  QuantizedLinear result_;
  std::vector<double> wt_;                 // [in, out]: W^T, then (W - Q)^T for the quantized columns
  std::vector<double> scale_, zero_;       // the current group's parameters, per output row
  std::vector<double> zeros_;              // [n_groups, out], as doubles until finish()
  std::vector<double> sweep_w_;            // [super_block, out]: the current super-block of W^T, updated
  int64_t s_ = 0, e_ = 0;                  // the current super-block [s, e)
  std::vector<double> block_w_, block_err_;  // [B, out]: the block's columns and their errors E
};

}  // namespace

int check_layer_input(const float* weight, int64_t out_features, int64_t in_features, const QuantGrid& grid,
                      int group_size, const std::string& layer) {
  validate(grid, layer);
  require(out_features > 0 && in_features > 0, layer, "empty weight matrix");
  require(group_size == -1 || group_size > 0, layer,
          "group size must be positive or -1 (per channel), got " + std::to_string(group_size));
  for (int64_t o = 0; o < out_features; ++o)
    for (int64_t i = 0; i < in_features; ++i)
      if (!std::isfinite(weight[o * in_features + i]))
        throw Error(layer, "non-finite weight at row " + std::to_string(o) + ", column " + std::to_string(i));
  return group_size == -1 ? static_cast<int>(in_features) : std::min<int>(group_size, static_cast<int>(in_features));
}

GptqFactorization factor_hessian(std::vector<double> h, int64_t in, const GptqOptions& options,
                                 const std::string& layer) {
  require(in > 0 && static_cast<int64_t>(h.size()) == in * in, layer, "Hessian shape does not match in_features");
  require(options.damp >= 0, layer, "damping must be >= 0");
  require(options.block_size > 0, layer, "block size must be positive");
  for (double value : h) require(std::isfinite(value), layer, "non-finite Hessian");
  const auto start = StageTimer::now();
  GptqFactorization f;
  f.in_features = in;
  for (int64_t i = 0; i < in; ++i)
    if (h[i * in + i] == 0) {
      h[i * in + i] = 1;
      f.dead.push_back(i);
    }
  f.perm.resize(in);
  std::iota(f.perm.begin(), f.perm.end(), 0);
  if (options.act_order)
    std::stable_sort(f.perm.begin(), f.perm.end(), [&](int64_t a, int64_t b) { return h[a * in + a] > h[b * in + b]; });
  const double damp_step = 0.0025;  // GPTQModel's damp_auto_increment
  f.damp_used = options.damp;
  while (!damped_flipped_cholesky(h, f.perm, in, f.damp_used, f.factor)) {
    ++f.cholesky_retries;
    f.damp_used += f.damp_used < damp_step ? damp_step : f.damp_used;  // 0.01, 0.02, 0.04, ...
    require(f.damp_used <= 1.0, layer, "Hessian not positive definite even with damping 1.0");
  }
  f.super_block = super_block_size(options, in);
  sweep_factor_from(f.factor, in, f.super_block, layer);
  if (f.cholesky_retries > 0)
    std::fprintf(stderr, "warning: %s: Hessian not positive definite at damp %.4g; succeeded with damp %.4g after %d retries\n",
                 layer.c_str(), options.damp, f.damp_used, f.cholesky_retries);
  f.seconds = seconds_since(start);
  return f;
}

QuantizedLinear gptq_quantize(const float* weight, int64_t out_features, int64_t in_features,
                              std::vector<double> hessian, const GptqOptions& options, const std::string& layer,
                              GptqStats* stats) {
  check_layer_input(weight, out_features, in_features, options.grid, options.group_size, layer);
  const GptqFactorization factorization = factor_hessian(std::move(hessian), in_features, options, layer);
  QuantizedLinear result = gptq_quantize(weight, out_features, in_features, factorization, options, layer, stats);
  if (stats) stats->seconds_cholesky = factorization.seconds;
  return result;
}

QuantizedLinear gptq_quantize(const float* weight, int64_t out_features, int64_t in_features,
                              const GptqFactorization& factorization, const GptqOptions& options,
                              const std::string& layer, GptqStats* stats) {
  const int group = check_layer_input(weight, out_features, in_features, options.grid, options.group_size, layer);
  require(factorization.in_features == in_features, layer, "Hessian shape does not match in_features");
  require(options.block_size > 0, layer, "block size must be positive");
  require(factorization.super_block == super_block_size(options, in_features), layer,
          "factorization was made for another block size or grouping");
  GptqStats local;
  GptqStats& st = stats ? *stats : local;
  st = GptqStats{};
  st.dead_columns = static_cast<int>(factorization.dead.size());
  st.damp_used = factorization.damp_used;
  st.cholesky_retries = factorization.cholesky_retries;

  ColumnSweep sweep(weight, out_features, in_features, group, factorization, options);
  const auto start = StageTimer::now();
  // Algorithm 1, lines 3-11: blocks of B columns in processing order, inside super-blocks.
  for (int64_t s = 0; s < in_features; s += factorization.super_block) {
    const int64_t e = std::min(s + factorization.super_block, in_features);
    sweep.begin_super_block(s, e);
    for (int64_t i1 = s; i1 < e; i1 += options.block_size) {
      const int64_t i2 = std::min<int64_t>(i1 + options.block_size, e);
      st.loss += sweep.quantize_block(i1, i2);
      sweep.lazy_batch_update(i1, i2);
      sweep.keep_residuals(i1, i2);
    }
  }
  st.seconds_columns = seconds_since(start);
  return sweep.finish();
}

}  // namespace qs
