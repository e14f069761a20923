#pragma once
// What the store records about a model, read from its Hugging Face folder without loading the
// weights: architecture (config.json), parameter counts (safetensors headers) and a fingerprint.
#include "sweep/point_result.h"

namespace qs {

// N total = elements of every stored tensor (a tied embedding/lm_head counted once);
// N non-embedding = N total minus the token embedding and an untied lm_head.
// file_hash = FNV-1a 64 of config.json, each safetensors header and each file's size: it
// changes when the checkpoint does, without reading gigabytes of weights.
// Throws qs::Error naming the folder or file when config.json or the weights are missing.
ModelFacts read_model_facts(const std::string& name, const std::string& folder);

}  // namespace qs
