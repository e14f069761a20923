#include "quant/gptq.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <utility>

#include <omp.h>

#include "core/blas.h"
#include "core/error.h"
#include "model/parallel.h"
#include "quant/gptq_kernels.h"

namespace qs {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

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

// U with U^T U = (H_pp + damp * mean(diag H) * I)^-1 for H_pp = H[perm, perm], written into the
// upper triangle of `inverse` (lower part zero). Returns false when LAPACK finds a non-positive pivot.
//
// The reference computes chol(H) -> H^-1 (potri) -> chol(H^-1): 4n^3/3 flops. With P the
// reversal permutation and P H P = L L^T: H^-1 = P L^-T L^-1 P = U^T U for U = P L^-1 P, which is
// upper triangular with a positive diagonal, hence the same (unique) Cholesky factor, for
// potrf + trtri = 2n^3/3 flops. Reversing a row-major n x n buffer is exactly X -> P X P, so the
// buffer gets P H_pp P's lower triangle (all LAPACK reads), zeros above, and one final reverse.
bool damped_inverse_cholesky(const std::vector<double>& h, const std::vector<int64_t>& perm, int64_t n, double damp,
                             std::vector<double>& inverse) {
  double mean_diag = 0;
  for (int64_t i = 0; i < n; ++i) mean_diag += h[i * n + i];
  mean_diag /= static_cast<double>(n);
  inverse.assign(n * n, 0.0);
#pragma omp parallel for schedule(dynamic, 16) if (worth_parallel(n * n))
  for (int64_t r = 0; r < n; ++r) {
    const double* source_row = &h[perm[n - 1 - r] * n];
    for (int64_t c = 0; c <= r; ++c) inverse[r * n + c] = source_row[perm[n - 1 - c]];
    inverse[r * n + r] += damp * mean_diag;  // P commutes with I
  }
  const int dim = static_cast<int>(n);
  if (blas::dpotrf_lower(dim, inverse.data(), dim) != 0) return false;   // P H_pp P = L L^T
  if (blas::dtrtri_lower(dim, inverse.data(), dim) != 0) return false;   // L^-1
  std::reverse(inverse.begin(), inverse.end());                          // U = P L^-1 P (upper)
  return true;
}

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
  for (double value : h) require(std::isfinite(value), layer, "non-finite Hessian");
  const auto start = std::chrono::steady_clock::now();
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
  while (!damped_inverse_cholesky(h, f.perm, in, f.damp_used, f.inverse_chol)) {
    ++f.cholesky_retries;
    f.damp_used += f.damp_used < damp_step ? damp_step : f.damp_used;  // 0.01, 0.02, 0.04, ...
    require(f.damp_used <= 1.0, layer, "Hessian not positive definite even with damping 1.0");
  }
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
  const int64_t out = out_features, in = in_features;
  const int group = check_layer_input(weight, out, in, options.grid, options.group_size, layer);
  require(factorization.in_features == in, layer, "Hessian shape does not match in_features");
  require(options.block_size > 0, layer, "block size must be positive");
  GptqStats local;
  GptqStats& st = stats ? *stats : local;
  st = GptqStats{};
  st.dead_columns = static_cast<int>(factorization.dead.size());
  st.damp_used = factorization.damp_used;
  st.cholesky_retries = factorization.cholesky_retries;
  const std::vector<int64_t>& perm = factorization.perm;
  const std::vector<double>& hinv = factorization.inverse_chol;
  const QuantGrid& grid = options.grid;
  const int maxq = grid.maxq();
  const bool per_channel = options.group_size == -1;
  const bool static_groups = options.static_groups && !per_channel;

  // Transposed working copy wt[in, out]: row i is input feature i, so a column of W is contiguous.
  // In 32 x 32 tiles: a plain loop reads `weight` with a stride of a whole row.
  std::vector<double> wt(in * out);
  constexpr int64_t kTile = 32;
#pragma omp parallel for if (worth_parallel(in * out))
  for (int64_t i0 = 0; i0 < in; i0 += kTile)
    for (int64_t o0 = 0; o0 < out; o0 += kTile)
      for (int64_t o = o0; o < std::min(o0 + kTile, out); ++o)
        for (int64_t i = i0; i < std::min(i0 + kTile, in); ++i) wt[i * out + o] = weight[o * in + i];

  QuantizedLinear result = allocate_quantized_linear(out, in, grid.bits, group);
  const int64_t n_groups = result.n_groups();
  std::vector<double> zeros(n_groups * out, 0);

  std::vector<double> scale(out), zero(out);
  if (per_channel) group_params(wt, out, 0, out, 0, in, grid, scale.data(), zero.data());

  for (int64_t i : factorization.dead) std::fill(wt.begin() + i * out, wt.begin() + (i + 1) * out, 0.0);
  if (static_groups)
    for (int64_t g = 0; g < n_groups; ++g)
      group_params(wt, out, 0, out, g * group, std::min<int64_t>((g + 1) * group, in), grid, &result.scales[g * out],
                   &zeros[g * out]);

  if (options.act_order) {
    std::vector<double> permuted_w(in * out);
    for (int64_t c = 0; c < in; ++c) std::copy_n(wt.begin() + perm[c] * out, out, permuted_w.begin() + c * out);
    wt.swap(permuted_w);
  }

  auto start = std::chrono::steady_clock::now();
  const int64_t block_size = options.block_size;
  std::vector<double> block_w(block_size * out), block_err(block_size * out);
  double loss = 0;
  for (int64_t i1 = 0; i1 < in; i1 += block_size) {
    const int64_t i2 = std::min(i1 + block_size, in), count = i2 - i1;
    std::copy(wt.begin() + i1 * out, wt.begin() + i2 * out, block_w.begin());
    // Output rows are independent inside a block (each row's quantization, error and updates
    // read only that row), so each thread takes a band of rows through all of the block's
    // columns with no barrier; the lazy update after the block is one multithreaded GEMM.
#pragma omp parallel reduction(+ : loss) if (worth_parallel(out * count * count / 2))
    {
      const auto [o_begin, o_end] = thread_rows(out);
      for (int64_t i = 0; i < count; ++i) {
        const int64_t c = i1 + i;
        if (static_groups) {
          const int64_t g = perm[c] / group;
          std::copy(&result.scales[g * out + o_begin], &result.scales[g * out + o_end], scale.begin() + o_begin);
          std::copy(&zeros[g * out + o_begin], &zeros[g * out + o_end], zero.begin() + o_begin);
        } else if (!per_channel && c % group == 0) {
          // From wt, which holds the updates of earlier blocks only (not of this block's columns).
          group_params(wt, out, o_begin, o_end, c, std::min<int64_t>(c + group, in), grid, scale.data(), zero.data());
          std::copy(scale.begin() + o_begin, scale.begin() + o_end, result.scales.begin() + (c / group) * out + o_begin);
          std::copy(zero.begin() + o_begin, zero.begin() + o_end, zeros.begin() + (c / group) * out + o_begin);
        }
        const double d = hinv[c * in + c];
        double* w = &block_w[i * out];
        double* err = &block_err[i * out];
        loss += quantize_column(w, scale.data(), zero.data(), maxq, d, o_begin, o_end, &result.codes[perm[c]], in, err);
        // W[:, c+1:i2] -= err * Hinv[c, c+1:i2], the rank-1 updates of the reference, applied
        // column by column only inside a sub-block of kSubBlock columns; the block's columns
        // after it get the sub-block's errors as one small GEMM (the same sums, cache-resident:
        // the rank-1 loop over a 128-column block streamed it from memory 128 times).
        const int64_t sub_end = std::min(count, (i / kSubBlock + 1) * kSubBlock);
        for (int64_t j = i + 1; j < sub_end; ++j) {
          subtract_scaled(&block_w[j * out], err, hinv[c * in + i1 + j], o_begin, o_end);
        }
        if (i + 1 == sub_end && sub_end < count && o_end > o_begin) {
          const int64_t sub_begin = sub_end - kSubBlock;  // a full sub-block ends before `count`
          blas::dgemm(blas::Trans::Yes, blas::Trans::No, static_cast<int>(count - sub_end), static_cast<int>(o_end - o_begin),
                      static_cast<int>(kSubBlock), -1.0, &hinv[(i1 + sub_begin) * in + i1 + sub_end],
                      static_cast<int>(in), &block_err[sub_begin * out + o_begin], static_cast<int>(out), 1.0,
                      &block_w[sub_end * out + o_begin], static_cast<int>(out));
        }
      }
    }
    // W[:, i2:] -= Err_block * Hinv[i1:i2, i2:], i.e. wt[i2:, :] -= Hinv[i1:i2, i2:]^T Err_block.
    if (i2 < in)
      blas::dgemm(blas::Trans::Yes, blas::Trans::No, static_cast<int>(in - i2), static_cast<int>(out),
                  static_cast<int>(count), -1.0, &hinv[i1 * in + i2], static_cast<int>(in), block_err.data(),
                  static_cast<int>(out), 1.0, &wt[i2 * out], static_cast<int>(out));
  }
  st.loss = loss;
  st.seconds_columns = seconds_since(start);

  if (per_channel) {
    std::copy(scale.begin(), scale.end(), result.scales.begin());
    std::copy(zero.begin(), zero.end(), zeros.begin());
  }
  result.zeros.assign(zeros.begin(), zeros.end());
  result.g_idx.assign(in, 0);
  for (int64_t c = 0; c < in; ++c) {
    // Static groups are defined on the original columns; otherwise on the processing order.
    const int64_t original = perm[c];
    result.g_idx[original] = static_cast<int32_t>(static_groups ? original / group : c / group);
  }
  return result;
}

QuantizedLinear rtn_quantize(const float* weight, int64_t out_features, int64_t in_features, const QuantGrid& grid,
                             int group_size, const std::string& layer) {
  const int64_t out = out_features, in = in_features;
  const int group = check_layer_input(weight, out, in, grid, group_size, layer);
  std::vector<double> w(weight, weight + out * in);
  QuantizedLinear result = allocate_quantized_linear(out, in, grid.bits, group);
  const int64_t n_groups = result.n_groups();
  result.g_idx = sequential_g_idx(in, group);
  std::vector<double> scale(out), zero(out);
  for (int64_t g = 0; g < n_groups; ++g) {
    const int64_t begin = g * group, end = std::min<int64_t>(begin + group, in);
    find_grid_params(&w[begin], out, end - begin, in, grid, scale.data(), zero.data());
    for (int64_t o = 0; o < out; ++o) {
      result.scales[g * out + o] = scale[o];
      result.zeros[g * out + o] = static_cast<int32_t>(zero[o]);
      for (int64_t i = begin; i < end; ++i)
        result.codes[o * in + i] = static_cast<uint8_t>(quantize_code(w[o * in + i], scale[o], zero[o], grid.maxq()));
    }
  }
  return result;
}

}  // namespace qs
