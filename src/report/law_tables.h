#pragma once
// The law's results as tables (rendered to terminal, Markdown and HTML by report/table.h).
#include <vector>

#include "law/law_study.h"
#include "report/table.h"

namespace qs::report {

Table fit_overview_table(const law::LawStudy& study);           // per stratum: n, R², adj R², σ, cond
Table coefficient_table(const law::LawStudy& study, const law::StratumFit& fit);
Table paper_comparison_table(const law::LawStudy& study);       // exponents [95% CI] beside PAPER.md
Table exclusion_table(const law::LawStudy& study);              // counts per stratum, bits, reason
Table ablation_table(const law::LawStudy& study);               // f(N,B) → +G → +Cb
Table strata_difference_table(const law::LawStudy& study);      // Welch t and bootstrap p
Table extrapolation_table(const law::LawStudy& study);          // leave-one-model-out errors

// Study-wide and per-stratum messages (what was left out and why), one per line.
std::vector<std::string> study_messages(const law::LawStudy& study);

}  // namespace qs::report
