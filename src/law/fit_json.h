#pragma once
// fit.json: everything `quantscale predict` and `recommend` need (per stratum: factors,
// coefficients, classical and HC3 covariance, residual variance, df, data ranges, task chance
// levels; the models' parameter counts), plus the analysis tables for readers
// (exclusions, ablations, strata tests, bootstrap, extrapolation). Format "quantscale-law-fit" v1.
#include <nlohmann/json.hpp>
#include <string>

#include "law/law_study.h"

namespace qs::law {

nlohmann::json study_to_json(const LawStudy& study);

// Restores the parts a prediction needs (fits without their points, models, options).
// Throws qs::Error naming `where` and the missing field for a malformed file.
LawStudy study_from_json(const nlohmann::json& json, const std::string& where);

// Reads and parses a fit.json file.
LawStudy load_fit_file(const std::string& path);

}  // namespace qs::law
