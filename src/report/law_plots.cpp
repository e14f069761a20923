#include "report/law_plots.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "law/paper_table.h"
#include "report/table.h"

namespace qs::report {
namespace {

using law::Factor;

std::string response_label(const law::StratumFit& fit) {
  return fit.response == law::Response::Accuracy ? "ln(−ln Acc_adj)" : "ln ln(ppl_q/ppl_fp)";
}

// One series per model over the fit's points, x/y picked by `coordinates(point index)`.
template <typename Coordinates>
std::vector<Series> series_by_model(const law::StratumFit& fit, const std::vector<law::LawPoint>& points,
                                    Coordinates coordinates) {
  std::map<std::pair<double, std::string>, Series> by_model;  // legend ordered by model size
  for (size_t i = 0; i < points.size(); ++i) {
    Series& s = by_model[{points[i].n_params, points[i].model}];
    s.label = points[i].model;
    auto [x, y] = coordinates(i);
    s.x.push_back(x);
    s.y.push_back(y);
  }
  std::vector<Series> out;
  for (auto& [key, s] : by_model) out.push_back(std::move(s));
  return out;
}

double paper_value(const law::PaperExponents& p, Factor f) {
  switch (f) {
    case Factor::N: return p.alpha;
    case Factor::B: return p.beta;
    case Factor::G: return p.delta;
    case Factor::Cb: return p.gamma;
  }
  return NAN;
}

}  // namespace

std::vector<Figure> accuracy_vs_bits_figures(const std::vector<law::Observation>& rows, const law::LawStudy& study) {
  // stratum -> (N, model) -> bits -> (sum of Acc_adj, count); fp rows go in at 16 bits.
  std::map<std::string, std::map<std::pair<double, std::string>, std::map<int, std::pair<double, int>>>> sums;
  std::set<int> all_bits;
  for (const auto& o : rows) {
    if (o.method != "fp" && o.method != study.method) continue;
    if (std::isnan(o.acc) || std::isnan(o.acc_rand)) continue;
    int bits = o.method == "fp" ? 16 : o.bits;
    auto& cell = sums[o.stratum][{static_cast<double>(o.n_params), o.model}][bits];
    cell.first += (o.acc - o.acc_rand) / (1 - o.acc_rand);
    cell.second += 1;
    all_bits.insert(bits);
  }
  std::vector<Tick> ticks;
  for (int b : all_bits) ticks.push_back({static_cast<double>(b), b == 16 ? "16 (fp)" : std::to_string(b)});
  std::vector<Figure> figures;
  for (const auto& [stratum, models] : sums) {
    Figure f;
    f.id = "accuracy-" + stratum;
    f.caption = "Stratum " + stratum + ": mean Acc_adj over tasks and configurations against bits, one line per model "
                "(" + study.method + "; 16 = full-precision baseline; Acc_adj ≤ 0 is collapse to chance)";
    f.plot.title = stratum + ": accuracy vs bits";
    f.plot.x_label = "bits per weight B (log scale)";
    f.plot.y_label = "mean Acc_adj";
    f.plot.log2_x = true;
    f.plot.x_ticks = ticks;
    for (const auto& [model, by_bits] : models) {
      Series s;
      s.label = model.second;
      s.lines = true;
      for (const auto& [bits, cell] : by_bits) {
        s.x.push_back(bits);
        s.y.push_back(cell.first / cell.second);
      }
      f.plot.series.push_back(std::move(s));
    }
    if (!ticks.empty()) f.plot.segments.push_back({ticks.front().value, 0, ticks.back().value, 0, true});
    figures.push_back(std::move(f));
  }
  return figures;
}

namespace {

// One scatter per fitted stratum against the fitted values, points coloured by model, with a
// dashed reference line; `measured` says whether y is the measurement or the residual.
std::vector<Figure> per_stratum_scatter(const law::LawStudy& study, bool measured) {
  std::vector<Figure> figures;
  for (size_t i = 0; i < study.fits.size(); ++i) {
    const auto& fit = study.fits[i];
    if (!fit.fitted) continue;
    Figure f;
    f.id = (measured ? "fitted-" : "residuals-") + fit.stratum;
    f.caption = measured ? "Stratum " + fit.stratum + ": measured against fitted " + response_label(fit) +
                               " (dashed: perfect agreement); R² = " + fixed(fit.ols.r2, 4)
                         : "Stratum " + fit.stratum + ": residuals against fitted values, by model (structure here "
                                                      "means the power-law form misses something)";
    f.plot.title = fit.stratum + (measured ? ": fitted vs measured" : ": residuals");
    f.plot.x_label = "fitted " + response_label(fit);
    f.plot.y_label = measured ? "measured " + response_label(fit) : "residual";
    f.plot.series = series_by_model(fit, study.points[i], [&](size_t k) {
      return std::pair{fit.ols.fitted[k], (measured ? fit.ols.fitted[k] : 0.0) + fit.ols.residuals[k]};
    });
    auto [lo, hi] = std::minmax_element(fit.ols.fitted.begin(), fit.ols.fitted.end());
    f.plot.segments.push_back({*lo, measured ? *lo : 0.0, *hi, measured ? *hi : 0.0, true});
    figures.push_back(std::move(f));
  }
  return figures;
}

}  // namespace

std::vector<Figure> fitted_vs_measured_figures(const law::LawStudy& study) { return per_stratum_scatter(study, true); }

std::vector<Figure> residual_figures(const law::LawStudy& study) { return per_stratum_scatter(study, false); }

std::vector<Figure> exponent_figures(const law::LawStudy& study) {
  std::vector<Figure> figures;
  for (Factor factor : law::all_factors()) {
    Series ours{"this study (95% CI)", {}, {}, {}, {}, false, false, "circle", 0};
    Series boot{"bootstrap 95% CI", {}, {}, {}, {}, false, true, "circle", 2};
    Series paper{"paper (PAPER.md)", {}, {}, {}, {}, false, true, "diamond", 1};
    std::vector<Tick> ticks;
    for (const auto& fit : study.fits) {
      int k = fit.fitted ? law::coefficient_index(fit, factor) : -1;
      if (k < 0) continue;
      double x = static_cast<double>(ticks.size());
      ticks.push_back({x, fit.stratum});
      ours.x.push_back(x);
      ours.y.push_back(fit.ols.coef[k]);
      bool estimable = !std::isnan(fit.ols.ci_low[k]);  // α with too few models: no bar
      ours.y_low.push_back(estimable ? fit.ols.ci_low[k] : fit.ols.coef[k]);
      ours.y_high.push_back(estimable ? fit.ols.ci_high[k] : fit.ols.coef[k]);
      auto s = study.bootstrap.exponents.find(fit.stratum);
      if (s != study.bootstrap.exponents.end() && s->second.count(factor) && s->second.at(factor).replicates > 0) {
        boot.x.push_back(x - 0.18);
        boot.y.push_back(fit.ols.coef[k]);
        boot.y_low.push_back(s->second.at(factor).low);
        boot.y_high.push_back(s->second.at(factor).high);
      }
      for (const auto& p : law::paper_exponents())
        if (p.stratum == fit.stratum) {
          paper.x.push_back(x + 0.18);
          paper.y.push_back(paper_value(p, factor));
        }
    }
    if (ticks.empty()) continue;
    Figure f;
    f.id = "exponent-" + law::exponent_name(factor);
    f.caption = "Exponent " + law::exponent_symbol(factor) + " of " + law::factor_name(factor) +
                " by stratum: estimate with classical 95% CI" + (boot.x.empty() ? "" : " and cluster-bootstrap 95% CI") +
                ", beside the paper's point estimate";
    f.plot.title = law::exponent_symbol(factor) + " (" + law::factor_name(factor) + ") by stratum";
    f.plot.x_label = "stratum";
    f.plot.y_label = law::exponent_symbol(factor);
    f.plot.x_ticks = ticks;
    f.plot.series.push_back(std::move(ours));
    if (!boot.x.empty()) f.plot.series.push_back(std::move(boot));
    if (!paper.x.empty()) f.plot.series.push_back(std::move(paper));
    figures.push_back(std::move(f));
  }
  return figures;
}

std::vector<Figure> all_figures(const std::vector<law::Observation>& rows, const law::LawStudy& study) {
  std::vector<Figure> out = accuracy_vs_bits_figures(rows, study);
  for (auto* group : {&fitted_vs_measured_figures, &residual_figures, &exponent_figures})
    for (auto& f : (*group)(study)) out.push_back(std::move(f));
  return out;
}

}  // namespace qs::report
