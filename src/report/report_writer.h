#pragma once
// `quantscale report`: one self-contained HTML page (inline CSS and SVG, no scripts or external
// resources) and a Markdown summary with copyable tables, plus the fit.json they came from.
#include <string>
#include <vector>

#include "law/law_study.h"
#include "law/observations.h"

namespace qs::report {

struct ReportFiles {
  std::string html, markdown, fit_json;
  int figures = 0;
};

// Writes DIR/index.html, DIR/summary.md and DIR/fit.json (creating DIR); atomic writes.
ReportFiles write_report(const std::vector<law::Observation>& rows, const law::LawStudy& study, const std::string& dir);

}  // namespace qs::report
