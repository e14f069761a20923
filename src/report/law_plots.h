#pragma once
// The report's figures, built from the observations and the law study:
//   accuracy vs bits (one per accuracy stratum in the data, one line per model, fp at 16 bits),
//   fitted vs measured and residuals vs fitted (one each per fitted stratum),
//   exponents with 95% CIs beside the paper's values (one per exponent in any fit).
#include <string>
#include <vector>

#include "law/law_study.h"
#include "law/observations.h"
#include "report/svg_plot.h"

namespace qs::report {

struct Figure {
  std::string id, caption;
  Plot plot;
};

std::vector<Figure> accuracy_vs_bits_figures(const std::vector<law::Observation>& rows, const law::LawStudy& study);
std::vector<Figure> fitted_vs_measured_figures(const law::LawStudy& study);
std::vector<Figure> residual_figures(const law::LawStudy& study);
std::vector<Figure> exponent_figures(const law::LawStudy& study);

// All of the above, in report order.
std::vector<Figure> all_figures(const std::vector<law::Observation>& rows, const law::LawStudy& study);

}  // namespace qs::report
