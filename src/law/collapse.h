#pragma once
// Which accuracy rows are at chance ("collapsed") — by a rule, not by truncation (issue 15).
// A model at chance lands at Acc_adj ≈ 0 ± noise; dropping only Acc_adj ≤ 0 keeps the positive
// half of that noise, whose y = ln(−ln Acc_adj) ≈ 1.5–3 pulls β and α. Instead:
//   1. a row is collapsed when Acc_adj ≤ k·SE(Acc_adj), SE(Acc_adj) = acc_stderr/(1 − Acc_rand)
//      (a one-sided test at k standard errors that it lies above chance; k = 2 by default;
//      a row without acc_stderr falls back to Acc_adj ≤ 0);
//   2. a (stratum, model, bits) cell where more than half of the rows are collapsed is at
//      chance as a whole: all its rows are left out together, so the few that clear k SEs by
//      noise do not stay behind.
#include <functional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "law/observations.h"

namespace qs::law {

constexpr double kDefaultCollapseSigmas = 2.0;

// Rule 1 for one row.
bool row_collapsed(const Observation& o, double k_sigmas);

// Rule 2: the (stratum, model, bits) cells at chance, among the rows `eligible` accepts (the
// rows that would otherwise enter an accuracy fit).
using CollapseCell = std::tuple<std::string, std::string, int>;
std::set<CollapseCell> collapsed_cells(const std::vector<Observation>& rows, double k_sigmas,
                                       const std::function<bool(const Observation&)>& eligible);

}  // namespace qs::law
