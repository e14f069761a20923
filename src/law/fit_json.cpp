#include "law/fit_json.h"

#include <cmath>

#include "core/atomic_file.h"
#include "core/error.h"
#include "law/robust_inference.h"

namespace qs::law {
namespace {

using nlohmann::json;

json matrix_to_json(const std::vector<double>& m, int p) {
  json rows = json::array();
  for (int i = 0; i < p; ++i) {
    json row = json::array();
    for (int j = 0; j < p; ++j) row.push_back(m[static_cast<size_t>(i) * p + j]);
    rows.push_back(row);
  }
  return rows;
}

std::vector<double> matrix_from_json(const json& rows, int p) {
  std::vector<double> m;
  for (int i = 0; i < p; ++i)
    for (int j = 0; j < p; ++j) m.push_back(rows.at(i).at(j).get<double>());
  return m;
}

json fit_to_json(const StratumFit& fit, const BootstrapResult& bootstrap) {
  json j;
  j["stratum"] = fit.stratum;
  j["response"] = fit.response == Response::Accuracy ? "accuracy" : "perplexity";
  j["fitted"] = fit.fitted;
  j["messages"] = fit.messages;
  j["n_points"] = fit.n_points;
  j["models"] = fit.models;
  j["task_acc_rand"] = fit.task_acc_rand;
  json factors = json::array(), held = json::object(), ranges = json::object();
  for (Factor f : fit.factors) factors.push_back(factor_name(f));
  for (const auto& [f, v] : fit.held_constant) held[factor_name(f)] = v;
  for (const auto& [f, r] : fit.ranges) ranges[factor_name(f)] = {r.first, r.second};
  j["factors"] = factors;
  j["held_constant"] = held;
  j["ranges"] = ranges;
  if (!fit.fitted) return j;
  const OlsResult& o = fit.ols;
  json coefficients = json::array();
  for (int k = 0; k < o.p; ++k) {
    json c = {{"name", o.names[k]}, {"estimate", o.coef[k]}, {"se", o.se[k]},         {"se_hc3", o.se_hc3[k]},
              {"t", o.t[k]},        {"p", o.p_value[k]},     {"ci_low", o.ci_low[k]}, {"ci_high", o.ci_high[k]},
              {"df", k < static_cast<int>(o.df_coef.size()) ? o.df_coef[k] : o.df_inference}};
    auto s = bootstrap.exponents.find(fit.stratum);
    if (k > 0 && s != bootstrap.exponents.end()) {
      auto ci = s->second.find(fit.factors[k - 1]);
      if (ci != s->second.end() && ci->second.replicates > 0)
        c["bootstrap_ci"] = {ci->second.low, ci->second.high, ci->second.replicates};
    }
    coefficients.push_back(c);
  }
  j["coefficients"] = coefficients;
  j["cov"] = matrix_to_json(o.cov, o.p);
  j["cov_hc3"] = matrix_to_json(o.cov_hc3, o.p);
  j["estimator"] = estimator_name(fit.estimator);
  j["residual_variance"] = fit.residual_variance;
  j["se_kind"] = se_kind_name(o.se_kind);
  j["df_inference"] = o.df_inference;
  j["clusters"] = o.clusters;
  j["within_model_variance"] = fit.within_model_variance;
  j["between_model_variance"] = fit.between_model_variance;
  j["within_model_df"] = fit.within_model_df;
  if (!std::isnan(fit.noise_log_intercept))
    j["noise_function"] = {{"log_intercept", fit.noise_log_intercept}, {"log_slope", fit.noise_log_slope},
                           {"excess_variance", fit.excess_within_variance}};
  j["between_model_df"] = fit.between_model_df;
  j["sigma2"] = o.sigma2;
  j["residual_se"] = o.residual_se;
  j["df_resid"] = o.df_resid;
  j["n"] = o.n;
  j["r2"] = o.r2;
  j["adj_r2"] = o.adj_r2;
  j["f_statistic"] = o.f_statistic;
  j["f_p_value"] = o.f_p_value;
  j["condition_number"] = o.condition_number;
  j["collinearity_condition_number"] = o.collinearity_condition_number;
  j["collinearity_warning"] = fit.collinearity_warning;
  return j;
}

// A number written as null (nlohmann writes NaN so: a "not estimable" interval) reads as NaN.
double number_or_nan(const json& v) { return v.is_null() ? NAN : v.get<double>(); }

StratumFit fit_from_json(const json& j) {
  StratumFit fit;
  fit.stratum = j.at("stratum").get<std::string>();
  fit.response = j.at("response").get<std::string>() == "perplexity" ? Response::Perplexity : Response::Accuracy;
  fit.fitted = j.at("fitted").get<bool>();
  fit.messages = j.at("messages").get<std::vector<std::string>>();
  fit.n_points = j.at("n_points").get<int>();
  fit.models = j.at("models").get<std::vector<std::string>>();
  fit.task_acc_rand = j.at("task_acc_rand").get<std::map<std::string, double>>();
  for (const auto& f : j.at("factors")) fit.factors.push_back(parse_factor(f.get<std::string>()));
  for (const auto& [name, v] : j.at("held_constant").items()) fit.held_constant[parse_factor(name)] = v.get<double>();
  for (const auto& [name, r] : j.at("ranges").items())
    fit.ranges[parse_factor(name)] = {r.at(0).get<double>(), r.at(1).get<double>()};
  if (!fit.fitted) return fit;
  OlsResult& o = fit.ols;
  o.p = static_cast<int>(fit.factors.size()) + 1;
  const json& coefficients = j.at("coefficients");
  require(static_cast<int>(coefficients.size()) == o.p, fit.stratum, "coefficient count differs from factors + 1");
  for (const auto& c : coefficients) {
    o.names.push_back(c.at("name").get<std::string>());
    o.coef.push_back(c.at("estimate").get<double>());
    o.se.push_back(number_or_nan(c.at("se")));
    o.se_hc3.push_back(c.at("se_hc3").get<double>());
    o.t.push_back(number_or_nan(c.at("t")));
    o.p_value.push_back(number_or_nan(c.at("p")));
    o.ci_low.push_back(number_or_nan(c.at("ci_low")));
    o.ci_high.push_back(number_or_nan(c.at("ci_high")));
    if (c.contains("df")) o.df_coef.push_back(c.at("df").get<double>());
  }
  o.cov = matrix_from_json(j.at("cov"), o.p);
  o.cov_hc3 = matrix_from_json(j.at("cov_hc3"), o.p);
  o.sigma2 = j.at("sigma2").get<double>();
  o.residual_se = j.at("residual_se").get<double>();
  o.df_resid = j.at("df_resid").get<int>();
  // Files from before cluster-robust inference: classical, one variance component.
  o.se_kind = parse_se_kind(j.value("se_kind", std::string("classical")));
  o.df_inference = j.value("df_inference", static_cast<double>(o.df_resid));
  o.clusters = j.value("clusters", 0);
  fit.estimator = parse_estimator(j.value("estimator", std::string("ols")));
  fit.residual_variance = j.value("residual_variance", o.sigma2);
  fit.within_model_variance = j.value("within_model_variance", o.sigma2);
  fit.between_model_variance = j.value("between_model_variance", 0.0);
  fit.within_model_df = j.value("within_model_df", static_cast<double>(o.df_resid));
  fit.between_model_df = j.value("between_model_df", 0.0);
  if (j.contains("noise_function")) {
    const json& noise = j.at("noise_function");
    fit.noise_log_intercept = noise.at("log_intercept").get<double>();
    fit.noise_log_slope = noise.at("log_slope").get<double>();
    fit.excess_within_variance = noise.at("excess_variance").get<double>();
  }
  o.n = j.at("n").get<int>();
  o.r2 = j.at("r2").get<double>();
  o.adj_r2 = j.at("adj_r2").get<double>();
  o.condition_number = j.at("condition_number").get<double>();
  o.collinearity_condition_number = j.at("collinearity_condition_number").get<double>();
  fit.collinearity_warning = j.at("collinearity_warning").get<bool>();
  return fit;
}

json exclusions_to_json(const LawStudy& study) {
  json out = json::array();
  for (const auto& [key, count] : study.excluded)
    out.push_back({{"stratum", std::get<0>(key)}, {"bits", std::get<1>(key)}, {"reason", std::get<2>(key)}, {"count", count}});
  return out;
}

json analyses_to_json(const LawStudy& study) {
  json ablations = json::object();
  for (const auto& [stratum, steps] : study.ablations) {
    json list = json::array();
    for (const auto& s : steps) {
      json factors = json::array();
      for (Factor f : s.factors) factors.push_back(factor_name(f));
      json step = {{"factors", factors}, {"r2", s.r2}, {"adj_r2", s.adj_r2}, {"delta_r2", s.delta_r2}};
      if (s.has_test)
        step["f_test"] = {{"f", s.test.f}, {"p", s.test.p_value}, {"df_num", s.test.df_num}, {"df_den", s.test.df_den}};
      list.push_back(step);
    }
    ablations[stratum] = list;
  }
  json differences = json::array();
  for (const auto& d : study.differences)
    differences.push_back({{"a", d.stratum_a}, {"b", d.stratum_b}, {"exponent", exponent_name(d.factor)},
                           {"difference", d.difference}, {"se", d.se}, {"t", d.t}, {"df", d.df}, {"p", d.p_value}});
  json bootstrap_differences = json::array();
  for (const auto& d : study.bootstrap.differences)
    bootstrap_differences.push_back({{"a", d.stratum_a}, {"b", d.stratum_b}, {"exponent", exponent_name(d.factor)},
                                     {"difference", d.estimate}, {"ci", {d.interval.low, d.interval.high}},
                                     {"replicates", d.interval.replicates}, {"p", d.p_value}});
  json extrapolation = json::array();
  for (const auto& e : study.extrapolation) {
    json held = json::array();
    for (const auto& h : e.held_out) {
      json m = {{"model", h.model}, {"n_params", h.n_params}, {"points", h.n_points}, {"evaluated", h.evaluated},
                {"largest", h.largest}};
      if (h.evaluated) {
        m["rmse_y"] = h.rmse_y;
        m["bias_y"] = h.bias_y;
        m["mae_natural"] = h.mae_natural;
        m["interval_coverage"] = h.coverage;
      } else {
        m["message"] = h.message;
      }
      held.push_back(m);
    }
    extrapolation.push_back({{"stratum", e.stratum}, {"held_out", held}, {"rmse_y", e.rmse_y},
                             {"mae_natural", e.mae_natural}, {"interval_coverage", e.coverage}, {"points", e.evaluated_points}, {"message", e.message}});
  }
  return {{"ablations", ablations},
          {"strata_differences", differences},
          {"bootstrap", {{"replicates", study.bootstrap.replicates},
                         {"seed", study.bootstrap.seed},
                         {"models", study.bootstrap.models},
                         {"differences", bootstrap_differences}}},
          {"extrapolation", extrapolation}};
}

}  // namespace

json study_to_json(const LawStudy& study) {
  json j;
  j["format"] = "quantscale-law-fit";
  j["version"] = 1;
  j["source"] = study.source;
  j["method"] = study.method;
  json factors = json::array();
  for (Factor f : study.options.prep.factors) factors.push_back(factor_name(f));
  j["requested_factors"] = factors;
  j["n_definition"] = study.options.prep.nonembedding_n ? "nonembedding" : "total";
  j["se"] = se_kind_name(study.options.se_kind);
  j["estimator"] = estimator_name(study.options.estimator);
  json models = json::array();
  for (const auto& m : study.models)
    models.push_back({{"name", m.name}, {"architecture", m.architecture}, {"n_params", m.n_params},
                      {"n_params_nonembed", m.n_params_nonembed}});
  j["models"] = models;
  json fits = json::array();
  for (const auto& f : study.fits) fits.push_back(fit_to_json(f, study.bootstrap));
  j["fits"] = fits;
  j["exclusions"] = exclusions_to_json(study);
  j["messages"] = study.messages;
  j["analyses"] = analyses_to_json(study);
  return j;
}

LawStudy study_from_json(const json& j, const std::string& where) {
  try {
    require(j.value("format", "") == "quantscale-law-fit", where, "not a quantscale fit file (format field)");
    require(j.value("version", 0) == 1, where, "unsupported fit file version");
    LawStudy study;
    study.source = j.at("source").get<std::string>();
    study.method = j.at("method").get<std::string>();
    study.options.prep.factors.clear();
    for (const auto& f : j.at("requested_factors")) study.options.prep.factors.push_back(parse_factor(f.get<std::string>()));
    study.options.prep.nonembedding_n = j.at("n_definition").get<std::string>() == "nonembedding";
    study.options.se_kind = parse_se_kind(j.value("se", std::string("classical")));  // older files: classical
    study.options.estimator = parse_estimator(j.value("estimator", std::string("ols")));
    for (const auto& m : j.at("models"))
      study.models.push_back({m.at("name").get<std::string>(), m.at("architecture").get<std::string>(),
                              m.at("n_params").get<double>(), m.at("n_params_nonembed").get<double>()});
    for (const auto& f : j.at("fits")) {
      study.fits.push_back(fit_from_json(f));
      study.points.emplace_back();
    }
    study.messages = j.at("messages").get<std::vector<std::string>>();
    return study;
  } catch (const json::exception& e) {
    throw Error(where, std::string("malformed fit file: ") + e.what());
  }
}

LawStudy load_fit_file(const std::string& path) {
  json j;
  try {
    j = json::parse(read_file(path));
  } catch (const json::parse_error& e) {
    throw Error(path, std::string("not valid JSON: ") + e.what());
  }
  return study_from_json(j, path);
}

}  // namespace qs::law
