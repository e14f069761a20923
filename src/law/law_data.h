#pragma once
// Data preparation for the law (PAPER.md "Law"):
//   Acc_adj = (Acc − Acc_rand) / (1 − Acc_rand),   y = ln(−ln Acc_adj)
//   regressors ln N, ln log2 B, ln log2 Cb, ln G
// and, for the perplexity response ("L0 language modelling"), y = ln(ln(ppl_q / ppl_fp)).
// Every row that cannot enter a fit is counted with its reason, stratum and bit width
// (docs/law.md lists the rules: collapse (collapse.h), saturation, fp baseline, excluded bit
// widths, per-channel G, no calibration, other method, missing values).
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "law/observations.h"

namespace qs::law {

enum class Factor { N, B, G, Cb };
enum class Response { Accuracy, Perplexity };

const std::vector<Factor>& all_factors();         // N, B, G, Cb: the paper's ablation order
std::string factor_name(Factor factor);           // "N", "B", "G", "Cb"
std::string exponent_name(Factor factor);         // "alpha", "beta", "delta", "gamma"
std::string exponent_symbol(Factor factor);       // "α", "β", "δ", "γ"
Factor parse_factor(const std::string& name);     // case-insensitive; throws qs::Error
std::vector<Factor> parse_factors(const std::string& list);  // "N,B,G,Cb"
// The regressor of one factor for one configuration; NaN where it is undefined
// (Cb < 2, G = -1, B = 1).
double factor_regressor(Factor factor, double n_params, int bits, int group_size, int calib_samples);

const char* const kGeneralStratum = "General";     // all accuracy tasks pooled
const char* const kPerplexityStratum = "L0";       // the perplexity response

// One usable (point, task) — or one point for the perplexity response.
struct LawPoint {
  std::string point_id, model, task, stratum;
  double n_params = 0;
  int bits = 0, group_size = 0, calib_samples = 0;
  double acc_rand = 0;
  double y = 0;  // the log-space response
  // Delta-method SE of y from acc_stderr: y = ln(−ln a), dy/da = 1/(a ln a), so
  // se_y = (acc_stderr/(1 − Acc_rand)) / |a ln a| (NaN when acc_stderr is missing or 0; L0).
  double y_se = NAN;
  // The counts behind the accuracy (the binomial estimator's data): acc = correct / n_docs.
  double acc = NAN;
  int64_t n_docs = 0;  // 0 = unknown
};

struct PrepOptions {
  std::vector<Factor> factors = all_factors();
  std::string method = "auto";   // "auto": gptq if the data has any, else rtn; or gptq / rtn
  bool nonembedding_n = false;   // N = n_params_nonembed instead of n_params
  double collapse_sigmas = 2.0;  // k of the collapse rule (collapse.h)
  std::vector<int> exclude_bits; // bit widths left out entirely (--exclude-bits 2, as the paper)
  // For the binomial estimator (binomial_fit.h): rows near or below chance and at the ceiling
  // stay in (the likelihood of their counts is finite; rule 1 of collapse.h and the saturation
  // cut exist only because y = ln(−ln Acc_adj) is not); whole cells at chance (rule 2) are
  // still left out. Every such row needs n_docs. Their y, shown in plots and used by the
  // residual diagnostics, is taken half a document inside the boundary (adjusted_for_display).
  bool keep_rows_near_chance = false;
};

struct PreparedData {
  std::string method;                                // the quantizer actually fitted
  std::map<std::string, std::vector<LawPoint>> accuracy;  // by stratum, plus kGeneralStratum
  std::vector<LawPoint> perplexity;                  // one per point (L0)
  // (stratum, bits, reason) -> rows left out
  std::map<std::tuple<std::string, int, std::string>, int> excluded;
  int total_rows = 0;
};

PreparedData prepare_law_data(const std::vector<Observation>& rows, const PrepOptions& options);

// Back-transforms of the response: Acc_adj = exp(−exp(y)); perplexity ratio = exp(exp(y)).
double adjusted_accuracy_from_y(double y);
// Acc_adj clamped to [h, 1 − h], h = 0.5 / (n_docs · (1 − Acc_rand)): half a correct document
// inside (0, 1), so y is finite for a row at or below chance or at the ceiling.
double adjusted_for_display(double acc_adj, int64_t n_docs, double acc_rand);
double perplexity_ratio_from_y(double y);

}  // namespace qs::law
