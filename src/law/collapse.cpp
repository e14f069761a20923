#include "law/collapse.h"

#include <cmath>
#include <map>

namespace qs::law {

bool row_collapsed(const Observation& o, double k_sigmas) {
  double acc_adj = (o.acc - o.acc_rand) / (1 - o.acc_rand);
  double se = o.acc_stderr / (1 - o.acc_rand);
  if (std::isnan(se) || se < 0) se = 0;
  return acc_adj <= k_sigmas * se;
}

std::set<CollapseCell> collapsed_cells(const std::vector<Observation>& rows, double k_sigmas,
                                       const std::function<bool(const Observation&)>& eligible) {
  std::map<CollapseCell, std::pair<int, int>> counts;  // collapsed, total
  for (const auto& o : rows) {
    if (!eligible(o)) continue;
    auto& c = counts[{o.stratum, o.model, o.bits}];
    c.first += row_collapsed(o, k_sigmas);
    c.second += 1;
  }
  std::set<CollapseCell> cells;
  for (const auto& [cell, c] : counts)
    if (2 * c.first > c.second) cells.insert(cell);
  return cells;
}

}  // namespace qs::law
