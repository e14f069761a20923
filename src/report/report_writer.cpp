#include "report/report_writer.h"

#include <filesystem>
#include <map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "law/fit_json.h"
#include "report/law_plots.h"
#include "report/law_tables.h"

namespace qs::report {
namespace {

const char* const kStyle = R"(body{font-family:sans-serif;max-width:1180px;margin:24px auto;color:#222;line-height:1.4}
h1{font-size:24px}h2{font-size:19px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:12px 0;font-size:13px}caption{text-align:left;font-weight:bold;padding:4px 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}
figure{display:inline-block;margin:8px;vertical-align:top;width:560px}figcaption{font-size:12px;color:#555}
.note{font-size:12px;color:#555}.messages li{font-size:13px})";

// The full-precision reference of every model: mean Acc and Acc_adj per stratum.
Table baseline_table(const std::vector<law::Observation>& rows) {
  std::map<std::pair<std::string, std::string>, std::tuple<double, double, int>> sums;
  for (const auto& o : rows) {
    if (o.method != "fp" || std::isnan(o.acc) || std::isnan(o.acc_rand)) continue;
    auto& [acc, adj, n] = sums[{o.model, o.stratum}];
    acc += o.acc;
    adj += (o.acc - o.acc_rand) / (1 - o.acc_rand);
    n += 1;
  }
  Table t{"Full-precision baselines (reference, not fitted)", {"model", "stratum", "tasks", "mean Acc", "mean Acc_adj"}, {}, {}};
  for (const auto& [key, value] : sums) {
    auto [acc, adj, n] = value;
    t.rows.push_back({key.first, key.second, std::to_string(n), fixed(acc / n, 4), fixed(adj / n, 4)});
  }
  if (t.rows.empty()) t.notes.push_back("no full-precision rows (method fp) in the store");
  return t;
}

std::vector<Table> all_tables(const std::vector<law::Observation>& rows, const law::LawStudy& study) {
  std::vector<Table> tables = {fit_overview_table(study), paper_comparison_table(study)};
  for (const auto& fit : study.fits)
    if (fit.fitted) tables.push_back(coefficient_table(study, fit));
  tables.push_back(ablation_table(study));
  if (!study.differences.empty()) tables.push_back(strata_difference_table(study));
  tables.push_back(extrapolation_table(study));
  tables.push_back(baseline_table(rows));
  tables.push_back(exclusion_table(study));
  return tables;
}

std::string header_text(const law::LawStudy& study, size_t rows) {
  return "Source: " + study.source + " (" + std::to_string(rows) + " rows). Quantizer fitted: " + study.method +
         ". Law per stratum: ln(−ln Acc_adj) = ln A + α ln N + β ln log2 B + γ ln log2 Cb + δ ln G, OLS; "
         "CIs at 95%; bootstrap: " +
         (study.bootstrap.replicates > 0 ? std::to_string(study.bootstrap.replicates) + " resamples of models (seed " +
                                               std::to_string(study.bootstrap.seed) + ")"
                                         : std::string("off")) +
         ".";
}

}  // namespace

ReportFiles write_report(const std::vector<law::Observation>& rows, const law::LawStudy& study, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  require(!ec, dir, "cannot create report directory: " + ec.message());
  std::vector<Figure> figures = all_figures(rows, study);
  std::vector<Table> tables = all_tables(rows, study);
  std::vector<std::string> messages = study_messages(study);

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<title>quantscale: task-stratified scaling law</title>\n<style>" +
                     std::string(kStyle) + "</style>\n</head>\n<body>\n<h1>Task-stratified scaling law of quantized models</h1>\n";
  html += "<p>" + html_escape(header_text(study, rows.size())) + "</p>\n";
  if (!messages.empty()) {
    html += "<h2>What could not be estimated, and what was left out</h2>\n<ul class=\"messages\">\n";
    for (const auto& m : messages) html += "<li>" + html_escape(m) + "</li>\n";
    html += "</ul>\n";
  }
  html += "<h2>Figures</h2>\n";
  for (const auto& f : figures)
    html += "<figure id=\"" + html_escape(f.id) + "\">\n" + render_svg(f.plot) + "<figcaption>" + html_escape(f.caption) +
            "</figcaption>\n</figure>\n";
  html += "<h2>Tables</h2>\n";
  for (const auto& t : tables) html += render_html(t);
  html += "</body>\n</html>\n";

  std::string md = "# Task-stratified scaling law of quantized models\n\n" + header_text(study, rows.size()) + "\n\n";
  if (!messages.empty()) {
    md += "## Notes\n\n";
    for (const auto& m : messages) md += "- " + markdown_escape(m) + "\n";
    md += "\n";
  }
  md += "## Tables\n\n";
  for (const auto& t : tables) md += render_markdown(t);
  md += "## Figures\n\nIn index.html: ";
  for (size_t i = 0; i < figures.size(); ++i) md += (i ? ", " : "") + figures[i].plot.title;
  md += ".\n";

  ReportFiles files{dir + "/index.html", dir + "/summary.md", dir + "/fit.json", static_cast<int>(figures.size())};
  write_file_atomic(files.html, html);
  write_file_atomic(files.markdown, md);
  write_file_atomic(files.fit_json, law::study_to_json(study).dump(2) + "\n");
  return files;
}

}  // namespace qs::report
