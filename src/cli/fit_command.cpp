// quantscale fit STORE_OR_CSV [--factors N,B,G,Cb] [--response acc|ppl|both] --out fit.json
// Fits the task-stratified law per stratum and prints coefficients with uncertainty,
// ablations, between-strata tests, extrapolation errors and what was left out.
#include <cstdio>

#include "cli/command_registry.h"
#include "core/atomic_file.h"
#include "law/fit_json.h"
#include "law/law_study.h"
#include "law/observations.h"
#include "report/law_tables.h"
#include "cli/study_cli.h"

namespace qs::cli {
namespace {

struct FitArgs {
  std::string input;
  std::string out;
  StudyArgs study;
};

int run_fit(const FitArgs& args) {
  law::StudyOptions options = study_options(args.study);  // bad options fail before any reading
  auto rows = law::load_observations(args.input);
  law::LawStudy study = law::run_law_study(rows, options, args.input);
  std::string text;
  for (const auto& m : report::study_messages(study)) text += "note: " + m + "\n";
  text += "\n" + report::render_text(report::fit_overview_table(study)) + "\n";
  for (const auto& fit : study.fits)
    if (fit.fitted) text += report::render_text(report::coefficient_table(study, fit)) + "\n";
  text += report::render_text(report::ablation_table(study)) + "\n";
  if (!study.differences.empty()) text += report::render_text(report::strata_difference_table(study)) + "\n";
  text += report::render_text(report::extrapolation_table(study)) + "\n";
  text += report::render_text(report::exclusion_table(study));
  std::fputs(text.c_str(), stdout);
  if (!args.out.empty()) {
    write_file_atomic(args.out, law::study_to_json(study).dump(2) + "\n");
    std::printf("\nwrote %s\n", args.out.c_str());
  }
  return 0;
}

const CommandRegistration fit_registration{
    {"fit", "fit the scaling law per stratum (OLS, SEs, CIs, ablations, extrapolation)", [](CLI::App& sub) {
       auto args = std::make_shared<FitArgs>();
       sub.add_option("input", args->input, "results store (SQLite) or CSV with the law_observations columns")
           ->required();
       sub.add_option("--out", args->out, "write the fit (for predict/recommend) to this JSON file");
       add_study_options(sub, args->study);
       return [args] { return run_fit(*args); };
     }}};

}  // namespace
}  // namespace qs::cli
