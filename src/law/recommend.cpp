#include "law/recommend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/error.h"

namespace qs::law {

std::map<std::string, double> parse_floors(const std::string& text) {
  std::map<std::string, double> floors;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t eq = item.find('=');
    require(eq != std::string::npos && eq > 0, "--min", "expected STRATUM=VALUE, got '" + item + "'");
    char* end = nullptr;
    std::string number = item.substr(eq + 1);
    double value = std::strtod(number.c_str(), &end);
    require(end != number.c_str() && *end == '\0' && value > 0 && value < 1, "--min",
            "floor of " + item.substr(0, eq) + " must be an Acc_adj in (0, 1), got '" + number + "'");
    require(floors.count(item.substr(0, eq)) == 0, "--min",
            "stratum " + item.substr(0, eq) + " has more than one floor; give one per stratum");
    floors[item.substr(0, eq)] = value;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  require(!floors.empty(), "--min", "no floor given (e.g. --min L3=0.9)");
  return floors;
}

std::vector<int> parse_int_list(const std::string& text, const std::string& option) {
  std::vector<int> values;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    require(!item.empty() && *end == '\0' && (v > 0 || v == -1) && v < (1L << 30), option,
            "expected a comma-separated list of positive integers, got '" + text + "'");
    values.push_back(static_cast<int>(v));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return values;
}

namespace {

// Bit widths outside every floored fit's data are extrapolations (2 bits when the fit saw 3–8):
// left out unless the user listed them (--bits).
std::vector<int> bits_in_fitted_range(const std::vector<const StratumFit*>& floored, const RecommendOptions& options,
                                      std::vector<std::string>& messages) {
  if (options.bits_given) return options.bits;
  double low = -INFINITY, high = INFINITY;
  for (const StratumFit* f : floored) {
    auto r = f->ranges.find(Factor::B);
    if (r == f->ranges.end()) continue;
    low = std::max(low, r->second.first);
    high = std::min(high, r->second.second);
  }
  std::vector<int> kept;
  std::string dropped;
  for (int b : options.bits) {
    if (b >= low && b <= high) kept.push_back(b);
    else dropped.append(dropped.empty() ? "" : ",").append(std::to_string(b));
  }
  if (!dropped.empty())
    messages.push_back("bit widths outside the fitted data left out: " + dropped + " (list them with --bits to include)");
  return kept.empty() ? options.bits : kept;
}

}  // namespace

Recommendation recommend(const LawStudy& fit, const RecommendOptions& options) {
  require(options.n_params > 0, "--params", "must be positive");
  Recommendation out;
  out.memory = memory_model_for(fit, options.n_params, options.nonembed_params);
  out.memory.source_bytes = options.source_bytes;
  std::vector<const StratumFit*> floored;
  for (const auto& [stratum, floor] : options.floors) {
    const StratumFit* f = find_fit(fit, stratum);
    require(f != nullptr && f->fitted, "--min", "stratum " + stratum + " has no fitted law in this fit file");
    require(f->response == Response::Accuracy, "--min", "floors apply to accuracy strata, not " + stratum);
    floored.push_back(f);
  }
  // A knob in none of the floored laws cannot be traded against accuracy: keep the value the
  // data held it at instead of letting memory alone pick it.
  auto candidates_for = [&](Factor factor, const std::vector<int>& requested) {
    bool in_law = std::any_of(floored.begin(), floored.end(), [&](const StratumFit* f) { return coefficient_index(*f, factor) >= 0; });
    if (in_law) return requested;
    for (const StratumFit* f : floored) {
      auto c = f->held_constant.find(factor);
      if (c != f->held_constant.end()) {
        out.messages.push_back(factor_name(factor) + " is not in the law (constant in the data): candidates use " +
                               factor_name(factor) + " = " + std::to_string(static_cast<int>(c->second)));
        return std::vector<int>{static_cast<int>(c->second)};
      }
    }
    return requested;
  };
  std::vector<int> bits = candidates_for(Factor::B, bits_in_fitted_range(floored, options, out.messages));
  std::vector<int> groups = candidates_for(Factor::G, options.group_sizes);
  std::vector<int> calibs = candidates_for(Factor::Cb, options.calib_samples);
  std::string skipped;
  for (int b : bits)
    for (int g : groups)
      for (int cb : calibs) {
        Candidate c;
        c.config = {options.n_params, b, g, cb};
        c.bytes = quantized_model_bytes(out.memory, b, g);
        c.worst = INFINITY;
        c.worst_margin = INFINITY;
        try {
          for (const StratumFit* f : floored) {
            StratumPrediction p = predict_stratum(*f, c.config);
            double used = options.conservative ? p.natural.low : p.natural.value;
            c.worst = std::min(c.worst, used);
            c.worst_margin = std::min(c.worst_margin, used - options.floors.at(f->stratum));
            c.predictions[f->stratum] = std::move(p);
          }
        } catch (const Error& e) {
          if (skipped.empty()) skipped = e.what_failed();
          continue;
        }
        c.meets_floors = c.worst_margin >= 0;
        c.fits_memory = options.memory_budget <= 0 || c.bytes <= options.memory_budget;
        out.candidates.push_back(std::move(c));
      }
  if (!skipped.empty()) out.messages.push_back("some candidates skipped: " + skipped);
  require(!out.candidates.empty(), "recommend", "no candidate configuration can be predicted by this fit");
  std::sort(out.candidates.begin(), out.candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.bytes != b.bytes ? a.bytes < b.bytes : a.worst_margin > b.worst_margin;
  });
  double best_so_far = -INFINITY;
  for (size_t i = 0; i < out.candidates.size(); ++i) {
    const Candidate& c = out.candidates[i];
    if (out.best < 0 && c.meets_floors && c.fits_memory) out.best = static_cast<int>(i);
    if (c.worst > best_so_far) {
      out.pareto.push_back(static_cast<int>(i));
      best_so_far = c.worst;
    }
  }
  if (out.best < 0) {
    bool any_meets = std::any_of(out.candidates.begin(), out.candidates.end(), [](const Candidate& c) { return c.meets_floors; });
    out.messages.push_back(any_meets ? "no configuration meets every floor within the memory budget"
                                     : "no configuration meets every floor, at any memory");
  }
  return out;
}

}  // namespace qs::law
