// quantscale report STORE_OR_CSV --out DIR
// Fits the law and writes DIR/index.html (self-contained, inline SVG plots), DIR/summary.md
// (copyable tables) and DIR/fit.json.
#include <cstdio>

#include "cli/command_registry.h"
#include "law/law_study.h"
#include "law/observations.h"
#include "report/report_writer.h"
#include "cli/study_cli.h"

namespace qs::cli {
namespace {

struct ReportArgs {
  std::string input, out;
  StudyArgs study;
};

int run_report(const ReportArgs& args) {
  law::StudyOptions options = study_options(args.study);  // bad options fail before any reading
  auto rows = law::load_observations(args.input);
  law::LawStudy study = law::run_law_study(rows, options, args.input);
  report::ReportFiles files = report::write_report(rows, study, args.out);
  std::printf("wrote %s (%d figures), %s, %s\n", files.html.c_str(), files.figures, files.markdown.c_str(),
              files.fit_json.c_str());
  return 0;
}

const CommandRegistration report_registration{
    {"report", "HTML report with SVG plots and a Markdown summary of the fitted law", [](CLI::App& sub) {
       auto args = std::make_shared<ReportArgs>();
       sub.add_option("input", args->input, "results store (SQLite) or CSV with the law_observations columns")->required();
       sub.add_option("--out", args->out, "output directory")->required();
       add_study_options(sub, args->study);
       return [args] { return run_report(*args); };
     }}};

}  // namespace
}  // namespace qs::cli
