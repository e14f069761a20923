#include "law/law_data.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/error.h"
#include "law/collapse.h"

namespace qs::law {

const std::vector<Factor>& all_factors() {
  static const std::vector<Factor> factors = {Factor::N, Factor::B, Factor::G, Factor::Cb};
  return factors;
}

namespace {

struct FactorNames {
  Factor factor;
  const char* name;      // as in --factors
  const char* exponent;  // as in fit.json
  const char* symbol;    // as in the paper
};

// The law's four knobs and their exponents (PAPER.md: α of N, β of B, γ of Cb, δ of G).
constexpr FactorNames kFactorNames[] = {{Factor::N, "N", "alpha", "α"},
                                        {Factor::B, "B", "beta", "β"},
                                        {Factor::G, "G", "delta", "δ"},
                                        {Factor::Cb, "Cb", "gamma", "γ"}};

const FactorNames& names_of(Factor factor) {
  for (const auto& n : kFactorNames)
    if (n.factor == factor) return n;
  throw Error("factor", "unknown factor");
}

}  // namespace

std::string factor_name(Factor factor) { return names_of(factor).name; }
std::string exponent_name(Factor factor) { return names_of(factor).exponent; }
std::string exponent_symbol(Factor factor) { return names_of(factor).symbol; }

Factor parse_factor(const std::string& name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& n : kFactorNames) {
    std::string candidate = n.name;
    for (char& c : candidate) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == candidate) return n.factor;
  }
  throw Error("--factors", "unknown factor '" + name + "' (choose from N, B, G, Cb)");
}

std::vector<Factor> parse_factors(const std::string& list) {
  std::vector<Factor> factors;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) {
      Factor f = parse_factor(item);
      require(std::find(factors.begin(), factors.end(), f) == factors.end(), "--factors",
              "factor " + item + " named twice");
      factors.push_back(f);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  require(!factors.empty(), "--factors", "no factor named");
  return factors;
}

double factor_regressor(Factor factor, double n_params, int bits, int group_size, int calib_samples) {
  switch (factor) {
    case Factor::N: return n_params > 0 ? std::log(n_params) : NAN;
    case Factor::B: return bits >= 2 ? std::log(std::log2(static_cast<double>(bits))) : NAN;
    case Factor::G: return group_size > 0 ? std::log(static_cast<double>(group_size)) : NAN;
    case Factor::Cb: return calib_samples >= 2 ? std::log(std::log2(static_cast<double>(calib_samples))) : NAN;
  }
  return NAN;
}

double adjusted_accuracy_from_y(double y) { return std::exp(-std::exp(y)); }
double perplexity_ratio_from_y(double y) { return std::exp(std::exp(y)); }

double adjusted_for_display(double acc_adj, int64_t n_docs, double acc_rand) {
  const double half_document = 0.5 / (static_cast<double>(n_docs) * (1 - acc_rand));
  return std::clamp(acc_adj, half_document, 1 - half_document);
}

namespace {

// Reason a quantized configuration cannot enter a fit with these factors, or "" if it can.
std::string configuration_exclusion(const Observation& o, const PrepOptions& options, const std::string& method) {
  if (o.method == "fp") return "full-precision baseline (reference, not fitted)";
  if (o.method != method) return "method " + o.method + " (fitting " + method + ")";
  if (std::find(options.exclude_bits.begin(), options.exclude_bits.end(), o.bits) != options.exclude_bits.end())
    return "bit width excluded (--exclude-bits)";
  for (Factor f : options.factors) {
    if (!std::isnan(factor_regressor(f, 1, o.bits, o.group_size, o.calib_samples))) continue;
    if (f == Factor::G) return "per-channel (G = -1) while G is a factor";
    if (f == Factor::Cb) return "Cb < 2 calibration samples while Cb is a factor";
    if (f == Factor::B) return "B < 2 bits (log2 B <= 0)";
  }
  return "";
}

}  // namespace

PreparedData prepare_law_data(const std::vector<Observation>& rows, const PrepOptions& options) {
  PreparedData data;
  data.total_rows = static_cast<int>(rows.size());
  data.method = options.method;
  if (data.method == "auto") {
    bool any_gptq = std::any_of(rows.begin(), rows.end(), [](const Observation& o) { return o.method == "gptq"; });
    data.method = any_gptq ? "gptq" : "rtn";
  }
  require(data.method == "gptq" || data.method == "rtn", "--method", "must be auto, gptq or rtn");
  // Cells at chance are decided over the rows that could otherwise enter an accuracy fit.
  auto cells_at_chance = collapsed_cells(rows, options.collapse_sigmas, [&](const Observation& o) {
    return configuration_exclusion(o, options, data.method).empty() && !std::isnan(o.acc) && !std::isnan(o.acc_rand);
  });
  char k_text[32];
  std::snprintf(k_text, sizeof k_text, "%g", options.collapse_sigmas);
  const std::string row_collapse = std::string("collapsed (Acc_adj <= ") + k_text + " SE)";
  const std::string cell_collapse = std::string("collapsed (model at chance at this bit width: most rows Acc_adj <= ") +
                                    k_text + " SE)";
  std::set<std::string> perplexity_points;
  for (const auto& o : rows) {
    auto exclude = [&](const std::string& stratum, const std::string& reason) {
      ++data.excluded[{stratum, o.bits, reason}];
    };
    LawPoint p;
    p.point_id = o.point_id;
    p.model = o.model;
    p.task = o.task;
    p.n_params = static_cast<double>(options.nonembedding_n ? o.n_params_nonembed : o.n_params);
    p.bits = o.bits;
    p.group_size = o.group_size;
    p.calib_samples = o.calib_samples;
    p.acc_rand = o.acc_rand;
    std::string reason = configuration_exclusion(o, options, data.method);
    if (p.n_params <= 0 && reason.empty()) reason = "non-positive parameter count";

    // Accuracy response, per (point, task).
    double acc_adj = (o.acc - o.acc_rand) / (1 - o.acc_rand);
    std::string acc_reason = reason;
    if (acc_reason.empty() && (std::isnan(o.acc) || std::isnan(o.acc_rand))) acc_reason = "missing accuracy";
    if (acc_reason.empty() && cells_at_chance.count({o.stratum, o.model, o.bits})) acc_reason = cell_collapse;
    const bool keep = options.keep_rows_near_chance;
    if (acc_reason.empty() && keep && o.n_docs <= 0) acc_reason = "no document count (n_docs) for the binomial estimator";
    if (acc_reason.empty() && !keep && row_collapsed(o, options.collapse_sigmas)) acc_reason = row_collapse;
    if (acc_reason.empty() && !keep && acc_adj >= 1) acc_reason = "saturated (Acc_adj >= 1)";
    if (!acc_reason.empty()) {
      exclude(o.stratum, acc_reason);
    } else {
      if (keep) acc_adj = adjusted_for_display(acc_adj, o.n_docs, o.acc_rand);
      p.stratum = o.stratum;
      p.acc = o.acc;
      p.n_docs = o.n_docs;
      p.y = std::log(-std::log(acc_adj));
      double se_adj = o.acc_stderr / (1 - o.acc_rand);
      p.y_se = se_adj > 0 ? se_adj / std::fabs(acc_adj * std::log(acc_adj)) : NAN;
      data.accuracy[o.stratum].push_back(p);
      data.accuracy[kGeneralStratum].push_back(p);
    }

    // Perplexity response, once per point.
    if (!perplexity_points.insert(o.point_id).second) continue;
    double degradation = std::log(o.ppl / o.ppl_fp);
    std::string ppl_reason = reason;
    if (ppl_reason.empty() && !(o.ppl > 0 && o.ppl_fp > 0)) ppl_reason = "missing perplexity";
    if (ppl_reason.empty() && !(degradation > 0)) ppl_reason = "no degradation (ppl_q <= ppl_fp)";
    if (!ppl_reason.empty()) {
      exclude(kPerplexityStratum, ppl_reason);
      continue;
    }
    p.stratum = kPerplexityStratum;
    p.task = "wikitext";
    p.acc_rand = 0;
    p.y = std::log(degradation);
    p.y_se = NAN;
    data.perplexity.push_back(p);
  }
  return data;
}

}  // namespace qs::law
