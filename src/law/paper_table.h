#pragma once
// The exponents the study reports (shared/docs/PAPER.md, "Reported exponents"), for side-by-side
// comparison in reports. Point estimates only: the paper gives no uncertainty.
#include <string>
#include <vector>

namespace qs::law {

struct PaperExponents {
  std::string stratum;  // "General", "L1", "L2", "L3"
  double alpha, beta, gamma, delta, adj_r2;
};

inline const std::vector<PaperExponents>& paper_exponents() {
  static const std::vector<PaperExponents> table = {{"General", -0.359, -1.067, -0.032, 0.073, 0.9475},
                                                    {"L1", -0.315, -0.964, -0.040, 0.064, 0.9350},
                                                    {"L2", -0.400, -1.100, -0.030, 0.075, 0.9500},
                                                    {"L3", -0.320, -1.200, -0.025, 0.085, 0.9300}};
  return table;
}

}  // namespace qs::law
