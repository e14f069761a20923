#include "law/law_study.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"

namespace qs::law {
namespace {

std::string summarize(const std::map<std::tuple<std::string, int, std::string>, int>& excluded,
                      const std::string& stratum) {
  std::map<std::string, int> by_reason;
  for (const auto& [key, count] : excluded)
    if (stratum == kGeneralStratum ? std::get<0>(key) != kPerplexityStratum : std::get<0>(key) == stratum) by_reason[std::get<2>(key)] += count;
  std::string out;
  for (const auto& [reason, count] : by_reason) out += (out.empty() ? "" : ", ") + std::to_string(count) + " " + reason;
  return out.empty() ? "none" : out;
}

}  // namespace

std::string exclusion_summary(const LawStudy& study, const std::string& stratum) {
  return summarize(study.excluded, stratum);
}

const StratumFit* find_fit(const LawStudy& study, const std::string& stratum) {
  for (const auto& f : study.fits)
    if (f.stratum == stratum) return &f;
  return nullptr;
}

LawStudy run_law_study(const std::vector<Observation>& rows, const StudyOptions& options, const std::string& source) {
  require(!rows.empty(), source, "no observations: the store is empty, nothing to fit (has the sweep recorded results?)");
  LawStudy study;
  study.source = source;
  study.options = options;
  if (options.estimator == Estimator::Binomial) {
    // Rows near chance and at the ceiling stay in: the likelihood of their counts is finite.
    const bool counted = std::all_of(rows.begin(), rows.end(), [](const Observation& o) { return o.method == "fp" || o.n_docs > 0; });
    if (counted) {
      study.options.prep.keep_rows_near_chance = true;
    } else {
      study.messages.push_back("--estimator binomial needs every row's document count (n_docs; stores from before "
                               "schema version 2 and CSVs without the column lack it): fitted by OLS instead");
      study.options.estimator = Estimator::Ols;
    }
  }
  const StudyOptions& effective = study.options;
  PreparedData data = prepare_law_data(rows, effective.prep);
  study.method = data.method;
  study.excluded = data.excluded;

  std::map<std::string, ModelInfo> models;
  std::set<std::string> strata;
  bool any_perplexity = false;
  for (const auto& o : rows) {
    models[o.model] = {o.model, o.architecture, static_cast<double>(o.n_params), static_cast<double>(o.n_params_nonembed)};
    strata.insert(o.stratum);
    any_perplexity = any_perplexity || (o.ppl > 0 && o.ppl_fp > 0);
  }
  for (auto& [name, info] : models) study.models.push_back(info);

  auto add_fit = [&](const std::string& stratum, Response response, const std::vector<LawPoint>& points) {
    StratumFit fit = fit_stratum(stratum, response, points, effective.prep.factors, effective.se_kind,
                                 response == Response::Perplexity ? Estimator::Ols : effective.estimator);
    if (!fit.fitted)
      fit.messages.push_back("rows left out: " +
                             summarize(data.excluded, stratum));
    study.fits.push_back(std::move(fit));
    study.points.push_back(points);
  };
  if (options.accuracy) {
    for (const auto& s : strata) add_fit(s, Response::Accuracy, data.accuracy[s]);
    add_fit(kGeneralStratum, Response::Accuracy, data.accuracy[kGeneralStratum]);
  }
  if (options.perplexity) {
    if (any_perplexity) add_fit(kPerplexityStratum, Response::Perplexity, data.perplexity);
    else study.messages.push_back("no perplexities recorded (ppl, ppl_fp): the L0 perplexity law is not fitted");
  }

  bool any_fitted = std::any_of(study.fits.begin(), study.fits.end(), [](const StratumFit& f) { return f.fitted; });
  if (!any_fitted) {
    std::string why;
    for (const auto& f : study.fits)
      for (const auto& m : f.messages) why += "\n  " + f.stratum + ": " + m;
    throw Error(source, "no stratum can be fitted:" + why);
  }

  for (size_t i = 0; i < study.fits.size(); ++i) {
    if (!study.fits[i].fitted) continue;
    study.ablations[study.fits[i].stratum] = nested_ablation(study.fits[i], study.points[i]);
    study.extrapolation.push_back(leave_one_model_out(study.fits[i], study.points[i]));
  }
  study.differences = strata_differences(study.fits, study.points);
  study.bootstrap = cluster_bootstrap(study.fits, study.points, effective.bootstrap_replicates, effective.bootstrap_seed);
  for (const auto& m : study.bootstrap.messages) study.messages.push_back(m);
  return study;
}

}  // namespace qs::law
