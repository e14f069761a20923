#pragma once
// The cheapest configuration that keeps what the user needs: every candidate (bits × group
// size × calibration size) is priced by the memory model (memory_model.h) and predicted by the
// fitted law per stratum; floors are on the stratum's predicted Acc_adj (chance-adjusted,
// comparable across tasks), by default on the point prediction, with `conservative` on the
// lower end of the 95% prediction interval. The Pareto front is memory against the worst
// floored stratum's predicted Acc_adj.
#include <map>
#include <string>
#include <vector>

#include "law/memory_model.h"
#include "law/predict.h"

namespace qs::law {

struct RecommendOptions {
  double n_params = 0;
  double nonembed_params = 0;  // 0: infer (memory_model_for)
  double memory_budget = 0;    // bytes; 0 = no budget
  std::map<std::string, double> floors;  // stratum -> minimum Acc_adj
  std::vector<int> bits = {2, 3, 4, 8};
  bool bits_given = false;  // false: only bit widths inside the floored fits' data range
  std::vector<int> group_sizes = {32, 64, 128, 1024};
  std::vector<int> calib_samples = {8, 32, 128, 1024};
  bool conservative = false;
  double source_bytes = 2;
};

struct Candidate {
  Configuration config;
  double bytes = 0;
  std::map<std::string, StratumPrediction> predictions;  // floored strata
  double worst = 0;          // min over floored strata of the Acc_adj used for the floors
  double worst_margin = 0;   // min over floors of (Acc_adj used − floor)
  bool meets_floors = false, fits_memory = false;
};

struct Recommendation {
  MemoryModel memory;
  std::vector<Candidate> candidates;  // sorted by bytes, then by worst margin (descending)
  int best = -1;                      // index into candidates, -1 when none qualifies
  std::vector<int> pareto;            // indices, by increasing memory
  std::vector<std::string> messages;
};

// "L3=0.9,L1=0.5" -> floors; throws qs::Error for bad syntax, values outside (0, 1) or a
// stratum floored twice.
std::map<std::string, double> parse_floors(const std::string& text);
// "2,3,4,8" -> {2,3,4,8}; throws naming `option`.
std::vector<int> parse_int_list(const std::string& text, const std::string& option);

// Throws qs::Error when a floored stratum has no fit, or when the non-embedding split is
// ambiguous (memory_model.h).
Recommendation recommend(const LawStudy& fit, const RecommendOptions& options);

}  // namespace qs::law
