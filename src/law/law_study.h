#pragma once
// The whole law analysis of one results store: data preparation, one fit per stratum (L1, L2,
// L3 …, General = all accuracy tasks, L0 = perplexity), nested ablations, between-strata
// tests, cluster bootstrap and leave-one-model-out extrapolation. `quantscale fit` and
// `quantscale report` both run this; fit.json (fit_json.h) stores its result.
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "law/ablation.h"
#include "law/bootstrap.h"
#include "law/extrapolation.h"
#include "law/law_fit.h"

namespace qs::law {

struct ModelInfo {
  std::string name, architecture;
  double n_params = 0, n_params_nonembed = 0;
};

struct StudyOptions {
  PrepOptions prep;
  bool accuracy = true;     // fit the accuracy strata and General
  bool perplexity = true;   // fit L0 when the data has perplexities
  SeKind se_kind = SeKind::Cluster;  // covariance of every interval and test (robust_inference.h)
  Estimator estimator = Estimator::Ols;
  int bootstrap_replicates = 1000;
  uint64_t bootstrap_seed = 20250825;
};

struct LawStudy {
  std::string source;
  StudyOptions options;
  std::string method;  // quantizer fitted
  std::vector<ModelInfo> models;
  std::vector<StratumFit> fits;
  std::vector<std::vector<LawPoint>> points;  // usable points of fits[i] (not stored in fit.json)
  std::map<std::tuple<std::string, int, std::string>, int> excluded;  // (stratum, bits, reason) -> rows
  std::map<std::string, std::vector<AblationStep>> ablations;
  std::vector<StrataDifference> differences;
  BootstrapResult bootstrap;
  std::vector<StratumExtrapolation> extrapolation;
  std::vector<std::string> messages;  // study-wide notes
};

// Throws qs::Error when there are no observations, or when no stratum at all can be fitted
// (the message then says, per stratum, why: collapsed, too few points …).
LawStudy run_law_study(const std::vector<Observation>& rows, const StudyOptions& options, const std::string& source);

// The fit of one stratum, or nullptr.
const StratumFit* find_fit(const LawStudy& study, const std::string& stratum);

// "40 collapsed (Acc_adj <= 0), 12 full-precision baseline …" for one stratum.
std::string exclusion_summary(const LawStudy& study, const std::string& stratum);

}  // namespace qs::law
