#pragma once
// What the store records about a model, from its folder (io/model_folder.h) without loading the
// weights: architecture, parameter counts of the stored tensors and a fingerprint.
#include "io/model_folder.h"
#include "sweep/point_result.h"

namespace qs {

// N and non-embedding N as ModelFolder::parameters() counts them (the architecture table's
// embedding and output tensor names; GPTQ linears as out x in weights).
// file_hash = FNV-1a 64 of ModelFolder::fingerprint_text(): config.json, each safetensors header
// and each file's size.
ModelFacts model_facts(const std::string& name, const ModelFolder& folder);
// Opens the folder first; throws qs::Error naming the folder or file when config.json or the
// weights are missing.
ModelFacts read_model_facts(const std::string& name, const std::string& folder);

}  // namespace qs
