#include "report/law_tables.h"

#include <cctype>
#include <cmath>

#include "law/paper_table.h"

namespace qs::report {
namespace {

using law::Factor;

std::string interval(double low, double high, int decimals = 3) { return interval_text(low, high, decimals); }

std::string coefficient_label(const law::StratumFit& fit, int k) {
  if (k == 0) return "ln A";
  Factor f = fit.factors[k - 1];
  return law::exponent_symbol(f) + " (" + law::factor_name(f) + ")";
}

const law::PercentileInterval* bootstrap_ci(const law::LawStudy& study, const std::string& stratum, Factor f) {
  auto s = study.bootstrap.exponents.find(stratum);
  if (s == study.bootstrap.exponents.end()) return nullptr;
  auto c = s->second.find(f);
  return c == s->second.end() || c->second.replicates == 0 ? nullptr : &c->second;
}

std::string factor_list(const std::vector<Factor>& factors) {
  std::string out;
  for (Factor f : factors) {
    if (!out.empty()) out += ',';
    out += law::factor_name(f);
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

Table fit_overview_table(const law::LawStudy& study) {
  Table t{"Fits by stratum (" + study.method + ")",
          {"stratum", "response", "points", "models", "factors", "R²", "adj R²", "resid SE", "cond (scaled)"},
          {},
          {}};
  for (const auto& fit : study.fits) {
    std::string response = fit.response == law::Response::Accuracy ? "ln(−ln Acc_adj)" : "ln ln(ppl_q/ppl_fp)";
    if (!fit.fitted) {
      t.rows.push_back({fit.stratum, response, std::to_string(fit.n_points), std::to_string(fit.models.size()),
                        "not fitted", "–", "–", "–", "–"});
      continue;
    }
    t.rows.push_back({fit.stratum, response, std::to_string(fit.n_points), std::to_string(fit.models.size()),
                      factor_list(fit.factors), fixed(fit.ols.r2, 4), fixed(fit.ols.adj_r2, 4),
                      fixed(fit.ols.residual_se, 4),
                      fixed(fit.ols.collinearity_condition_number, 1) + (fit.collinearity_warning ? " (!)" : "")});
  }
  return t;
}

std::string inference_label(const law::OlsResult& o) {
  if (o.se_kind == law::SeKind::Cluster)
    return "cluster-robust by model (CR2, " + std::to_string(o.clusters) + " models, Bell–McCaffrey t df >= " +
           fixed(o.df_inference, 1) + ")";
  if (o.se_kind == law::SeKind::Cr1)
    return "cluster-robust by model (CR1, " + std::to_string(o.clusters) + " models, t(" + fixed(o.df_inference, 0) + "))";
  return (o.se_kind == law::SeKind::HC3 ? "HC3, t(" : "classical, t(") + fixed(o.df_inference, 0) + ")";
}

std::string estimator_label(law::Estimator estimator) {
  if (estimator == law::Estimator::Binomial) return "binomial MLE";
  std::string name = law::estimator_name(estimator);
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

Table coefficient_table(const law::LawStudy& study, const law::StratumFit& fit) {
  const law::OlsResult& o = fit.ols;
  Table t{"Stratum " + fit.stratum + ": coefficients (n = " + std::to_string(o.n) + ", " +
              estimator_label(fit.estimator) + ", " + inference_label(o) + ")",
          {"coefficient", "estimate", "SE", "classical SE", "HC3 SE", "t", "p", "95% CI", "bootstrap 95% CI"},
          {},
          {"SE, t, p and CI: " + inference_label(o) + "; classical and HC3 SEs treat every point as independent.",
           "variance of y: between models τ² = " + fixed(fit.between_model_variance, 5) + ", within σ²_w = " +
               fixed(fit.within_model_variance, 5) + " (method of moments)"}};
  for (int k = 0; k < o.p; ++k) {
    const law::PercentileInterval* boot = k > 0 ? bootstrap_ci(study, fit.stratum, fit.factors[k - 1]) : nullptr;
    std::string ci = std::isnan(o.ci_low[k]) ? "not estimable" : interval(o.ci_low[k], o.ci_high[k], 4);
    t.rows.push_back({coefficient_label(fit, k), fixed(o.coef[k], 4), fixed(o.se[k], 4),
                      k < static_cast<int>(o.se_classical.size()) ? fixed(o.se_classical[k], 4) : "–",
                      fixed(o.se_hc3[k], 4), fixed(o.t[k], 2), p_value(o.p_value[k]), ci,
                      boot ? interval(boot->low, boot->high, 4) : "–"});
  }
  return t;
}

Table paper_comparison_table(const law::LawStudy& study) {
  Table t{"Exponents beside the paper (PAPER.md; the paper reports point estimates only)",
          {"stratum", "exponent", "this study", "95% CI", "paper", "paper inside CI"},
          {},
          {"95% CI: the fits' default intervals (" + law::se_kind_name(study.options.se_kind) + ")."}};
  for (const auto& paper : law::paper_exponents()) {
    const law::StratumFit* fit = law::find_fit(study, paper.stratum);
    if (fit == nullptr || !fit->fitted) continue;
    std::vector<std::pair<Factor, double>> values = {
        {Factor::N, paper.alpha}, {Factor::B, paper.beta}, {Factor::Cb, paper.gamma}, {Factor::G, paper.delta}};
    for (const auto& [f, paper_value] : values) {
      int k = law::coefficient_index(*fit, f);
      if (k < 0) {
        t.rows.push_back({paper.stratum, law::exponent_symbol(f), "not fitted", "–", fixed(paper_value, 3), "–"});
        continue;
      }
      if (std::isnan(fit->ols.ci_low[k])) {
        t.rows.push_back({paper.stratum, law::exponent_symbol(f), fixed(fit->ols.coef[k], 3), "not estimable",
                          fixed(paper_value, 3), "–"});
        continue;
      }
      bool inside = fit->ols.ci_low[k] <= paper_value && paper_value <= fit->ols.ci_high[k];
      t.rows.push_back({paper.stratum, law::exponent_symbol(f), fixed(fit->ols.coef[k], 3),
                        interval(fit->ols.ci_low[k], fit->ols.ci_high[k]), fixed(paper_value, 3), inside ? "yes" : "no"});
    }
    t.rows.push_back({paper.stratum, "adj R²", fixed(fit->ols.adj_r2, 4), "", fixed(paper.adj_r2, 4), ""});
  }
  return t;
}

Table exclusion_table(const law::LawStudy& study) {
  Table t{"Rows left out of the fits", {"stratum", "bits", "reason", "rows"}, {}, {}};
  for (const auto& [key, count] : study.excluded)
    t.rows.push_back({std::get<0>(key), std::to_string(std::get<1>(key)), std::get<2>(key), std::to_string(count)});
  if (t.rows.empty()) t.notes.push_back("none: every row entered its fit");
  return t;
}

Table ablation_table(const law::LawStudy& study) {
  std::string test = study.options.se_kind == law::SeKind::Classical
                         ? "partial F-test"
                         : "Wald F-test (" + law::se_kind_name(study.options.se_kind) + " covariance)";
  Table t{"Nested models (ablation): " + test + " of each added factor",
          {"stratum", "model", "R²", "adj R²", "ΔR²", "F", "df", "p"},
          {},
          {}};
  for (const auto& [stratum, steps] : study.ablations)
    for (const auto& s : steps) {
      std::string model = "f(" + factor_list(s.factors) + ")";
      t.rows.push_back({stratum, model, fixed(s.r2, 4), fixed(s.adj_r2, 4), s.has_test ? fixed(s.delta_r2, 4) : "–",
                        s.has_test ? fixed(s.test.f, 2) : "–",
                        s.has_test ? std::to_string(s.test.df_num) + ", " + std::to_string(s.test.df_den) : "–",
                        s.has_test ? p_value(s.test.p_value) : "–"});
    }
  return t;
}

Table strata_difference_table(const law::LawStudy& study) {
  bool robust = !study.differences.empty() && study.differences.front().cluster_robust;
  Table t{"Differences between strata",
          {"exponent", "strata", "difference", "SE", "t", "df", "p", "bootstrap 95% CI", "p (bootstrap)"},
          {},
          {robust ? "SE, t, p: cluster-robust by model, the strata's shared models accounted for (cluster "
                    "cross-covariance); bootstrap: the same model resample for every stratum."
                  : "SE, t, p: Welch on independent per-stratum fits (strata share models, so this ignores their "
                    "correlation); bootstrap: the same model resample for every stratum."}};
  for (const auto& d : study.differences) {
    std::string boot_ci = "–", boot_p = "–";
    for (const auto& b : study.bootstrap.differences)
      if (b.stratum_a == d.stratum_a && b.stratum_b == d.stratum_b && b.factor == d.factor && b.interval.replicates > 0) {
        boot_ci = interval(b.interval.low, b.interval.high);
        // No resample crossed zero: the p-value is below the bootstrap's resolution 1/R.
        boot_p = b.p_value > 0 ? p_value(b.p_value) : std::string("<").append(p_value(1.0 / b.interval.replicates));
      }
    t.rows.push_back({law::exponent_symbol(d.factor), d.stratum_a + " − " + d.stratum_b, fixed(d.difference, 4),
                      fixed(d.se, 4), fixed(d.t, 2), fixed(d.df, 0), p_value(d.p_value), boot_ci, boot_p});
  }
  return t;
}

Table extrapolation_table(const law::LawStudy& study) {
  Table t{"Leave-one-model-out extrapolation",
          {"stratum", "held-out model", "N", "points", "RMSE (y)", "bias (y)", "MAE (natural)", "inside 95% PI"},
          {},
          {"natural units: Acc_adj for accuracy strata, ln(ppl_q/ppl_fp) for L0; * = largest model (true extrapolation)",
           "inside 95% PI: share of the held-out points inside the prediction interval of the fit without their model "
           "(" + law::se_kind_name(study.options.se_kind) + " inference)"}};
  for (const auto& e : study.extrapolation) {
    if (!e.message.empty()) {
      t.rows.push_back({e.stratum, e.message, "", "", "", "", "", ""});
      continue;
    }
    for (const auto& h : e.held_out) {
      std::string name = h.model + (h.largest ? " *" : "");
      if (!h.evaluated) {
        t.rows.push_back({e.stratum, name, parameter_count(h.n_params), std::to_string(h.n_points), h.message, "", "", ""});
        continue;
      }
      t.rows.push_back({e.stratum, name, parameter_count(h.n_params), std::to_string(h.n_points), fixed(h.rmse_y, 4),
                        fixed(h.bias_y, 4), fixed(h.mae_natural, 4), fixed(100 * h.coverage, 1) + "%"});
    }
    t.rows.push_back({e.stratum, "all held out", "", std::to_string(e.evaluated_points), fixed(e.rmse_y, 4), "",
                      fixed(e.mae_natural, 4), fixed(100 * e.coverage, 1) + "%"});
  }
  return t;
}

std::vector<std::string> study_messages(const law::LawStudy& study) {
  std::vector<std::string> out = study.messages;
  for (const auto& fit : study.fits)
    for (const auto& m : fit.messages) out.push_back(fit.stratum + ": " + m);
  return out;
}

}  // namespace qs::report
