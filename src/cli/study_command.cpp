// quantscale study STUDY.toml: sweep the grid, then fit the law per stratum (fit.json beside
// the store) and write the HTML/Markdown report (report/ beside the store).
#include <cstdio>
#include <memory>

#include "cli/command_registry.h"
#include "cli/sweep_options.h"
#include "core/atomic_file.h"
#include "law/fit_json.h"
#include "law/law_study.h"
#include "law/observations.h"
#include "report/report_writer.h"

namespace {

using StudyArgs = qs::cli::SweepCommandOptions;

// One line per fitted stratum: the exponents with their standard errors and adj. R².
void print_fits(const qs::law::LawStudy& law) {
  for (const auto& fit : law.fits) {
    if (!fit.fitted) {
      std::printf("  %-8s not fitted: %s\n", fit.stratum.c_str(),
                  fit.messages.empty() ? "" : fit.messages.back().c_str());
      continue;
    }
    std::string line;
    for (size_t i = 1; i < fit.ols.coef.size(); ++i) {
      char buffer[96];
      std::snprintf(buffer, sizeof buffer, "  %s = %.3f ± %.3f", qs::law::exponent_symbol(fit.factors[i - 1]).c_str(),
                    fit.ols.coef[i], fit.ols.se[i]);
      line += buffer;
    }
    std::printf("  %-8s n = %3d%s  adj R² = %.3f\n", fit.stratum.c_str(), fit.n_points, line.c_str(), fit.ols.adj_r2);
  }
}

int run_study(StudyArgs& a) {
  qs::Study study = qs::cli::load_study_with_overrides(a);
  qs::SweepSummary summary = qs::run_sweep(study, a.options);
  std::printf("results: %s\n", study.store_path().c_str());

  std::vector<qs::law::Observation> rows = qs::law::load_observations(study.store_path());
  qs::law::LawStudy law = qs::law::run_law_study(rows, qs::law::StudyOptions{}, study.store_path());
  std::string fit_path = study.output_dir + "/fit.json";
  qs::write_file_atomic(fit_path, qs::law::study_to_json(law).dump(2) + "\n");
  std::printf("law fit (%s, %zu observations) -> %s\n", law.method.c_str(), rows.size(), fit_path.c_str());
  print_fits(law);
  qs::report::ReportFiles files = qs::report::write_report(rows, law, study.output_dir + "/report");
  std::printf("report: %s (%d figures), %s\n", files.html.c_str(), files.figures, files.markdown.c_str());
  return summary.failed > 0 ? 1 : 0;
}

const qs::cli::CommandRegistration study_registration{{
    "study",
    "the main job: sweep a study's grid, fit the scaling law per stratum, write the report",
    [](CLI::App& sub) -> std::function<int()> {
      auto a = std::make_shared<StudyArgs>();
      qs::cli::add_sweep_options(sub, *a);
      return [a] { return run_study(*a); };
    },
}};

}  // namespace
