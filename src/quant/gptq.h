#pragma once
// GPTQ for one linear layer (Frantar et al. 2022, arXiv 2210.17323, Algorithm 1), with the
// conventions of the reference implementation (IST-DASLab gptq.py, AutoGPTQ/GPTQModel), so the
// integer codes match what practitioners' tools produce:
//  - dead inputs (H_ii = 0): H_ii = 1 and W[:, i] = 0;
//  - act-order: columns processed by descending diag(H) (stable: ties keep index order);
//  - damping H += damp * mean(diag H) * I; Cholesky of H^-1, upper (U^T U = H^-1), via LAPACK
//    (its blocks only: GptqFactorization);
//  - columns in blocks of 128: inside a block each column is quantized and its error
//    e = (w - q) / U_ii spread over the block's later columns (rank-1 updates); the columns after
//    the block get all of the block's errors at once, one GEMM per block (lazy batch updates);
//  - groups: per-channel (group_size -1) parameters come from the whole W before dead columns are
//    zeroed; otherwise a group's parameters are found when its first (processed) column is reached,
//    from W as updated up to the start of the current 128-block (the reference's behaviour);
//    static_groups computes every group's parameters before act-order permutes the columns;
//  - g_idx[i] = group of input i; with act-order (not static) the groups follow processing order.
// Every step runs in fp64 (the reference uses fp32 on a GPU; fp64 makes ties the only source of
// disagreement with a float64 re-implementation).
#include <cstdint>
#include <string>
#include <vector>

#include "quant/quant_grid.h"
#include "quant/quantized_linear.h"

namespace qs {

struct GptqOptions {
  QuantGrid grid;
  int group_size = 128;       // -1: one group per output channel
  bool act_order = false;
  bool static_groups = false;
  double damp = 0.01;         // fraction of mean(diag H)
  int block_size = 128;
};

struct GptqStats {
  int dead_columns = 0;
  double damp_used = 0;        // the fraction that made the Cholesky succeed
  int cholesky_retries = 0;    // > 0: H was not positive definite at the requested damping
  double loss = 0;             // sum (w - q)^2 / (2 U_ii^2), the reference's "error"
  double seconds_cholesky = 0;
  double seconds_columns = 0;
};

// What GPTQ derives from H alone, shared by the linears that read one input ([q,k,v], [gate,up]):
// the dead inputs (H_ii = 0, set to 1 in H; each linear zeroes its own W[:, i]), the act-order
// permutation and the factor of the column sweep.
//
// The factor. With H_pp = H[perm, perm] + damping = V V^T (V upper: one Cholesky of the flipped
// H) and U = V^-1 = chol(H_pp^-1)^T (upper, Algorithm 1's "Cholesky(H^-1)^T"), GPTQ's errors
// E (Algorithm 1 line 7) satisfy E U = W - Q, so E[:, :s] U[:s, S] = -(W - Q)[:, :s] V[:s, S] U_SS
// for the columns S = [s, e) of a super-block: the W that S's sweep starts from is
//   W_S + (W - Q)[:, :s] F[:s, S],   F[:s, S] = V[:s, S] U_SS,
// and inside S the sweep needs only U_SS = (V_SS)^-1, stored as F[S, S]. So no full inverse of V
// (n^3/3 flops per factorization) is ever formed: the super-blocks' inverses and products cost
// ~n^2 * super_block / 2. Super-blocks are the sweep's blocks (block_size), or lcm(block_size,
// group_size) when dynamic groups do not divide a block (a group's parameters read its columns
// as updated up to the start of the current block, which must lie in one super-block).
struct GptqFactorization {
  int64_t in_features = 0;
  std::vector<int64_t> dead;          // inputs with H_ii = 0
  std::vector<int64_t> perm;          // perm[c] = original index of the c-th processed column
  std::vector<double> factor;         // F [in, in] row-major, upper triangle (lower part zero), above
  int64_t super_block = 0;            // columns per super-block of `factor`
  double damp_used = 0;               // the damping fraction that made the Cholesky succeed
  int cholesky_retries = 0;
  double seconds = 0;                 // wall time of the factorization
};

// hessian: [in, in] fp64 (HessianAccumulator::hessian). Uses options.act_order and options.damp,
// and block_size, group_size and static_groups for the super-blocks.
// Throws qs::Error naming `layer` for a non-finite or mis-shaped H and when even damping 1.0
// does not make H positive definite (a retry prints a warning naming `layer`).
GptqFactorization factor_hessian(std::vector<double> hessian, int64_t in_features, const GptqOptions& options,
                                 const std::string& layer);

// weight: [out, in] row-major fp32; `factorization` from factor_hessian with the same options
// (an error otherwise).
// stats: dead columns, damping and retries of the factorization; seconds_cholesky = 0 (the
// factorization's time is its own). Throws qs::Error naming `layer` for NaN/Inf weights, bad
// shapes or options.
QuantizedLinear gptq_quantize(const float* weight, int64_t out_features, int64_t in_features,
                              const GptqFactorization& factorization, const GptqOptions& options,
                              const std::string& layer, GptqStats* stats = nullptr);

// Both for one linear: factor_hessian then gptq_quantize (stats.seconds_cholesky filled).
QuantizedLinear gptq_quantize(const float* weight, int64_t out_features, int64_t in_features,
                              std::vector<double> hessian, const GptqOptions& options, const std::string& layer,
                              GptqStats* stats = nullptr);

// Shared checks: shape, group size, finite weights. Returns the resolved group size.
int check_layer_input(const float* weight, int64_t out_features, int64_t in_features, const QuantGrid& grid,
                      int group_size, const std::string& layer);

}  // namespace qs
