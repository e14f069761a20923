#pragma once
// The options `quantscale fit` and `quantscale report` share (which factors, which response,
// which quantizer, which N, bootstrap size and seed), registered once for both commands.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "law/law_study.h"

namespace qs::cli {

struct StudyArgs {
  std::string factors = "N,B,G,Cb";
  std::string response = "both";  // acc | ppl | both
  std::string method = "auto";
  std::string n_definition = "total";
  std::string se = "cluster";  // classical | hc3 | cluster
  std::string estimator = "ols";  // ols | wls
  std::string exclude_bits;    // "2" or "2,3": bit widths left out
  double collapse_sigmas = 2.0;
  int bootstrap = 1000;
  uint64_t seed = 20250825;
};

void add_study_options(CLI::App& app, StudyArgs& args);

// Validates and converts; throws qs::Error naming the option.
law::StudyOptions study_options(const StudyArgs& args);

}  // namespace qs::cli
