#include "sweep/model_facts.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/architecture.h"

namespace qs {
namespace {

namespace fs = std::filesystem;

// The JSON header of a safetensors file: 8-byte little-endian length, then the header.
std::string safetensors_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot open");
  unsigned char length_bytes[8] = {};
  in.read(reinterpret_cast<char*>(length_bytes), 8);
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | length_bytes[i];
  if (!in || length > (uint64_t{1} << 30)) throw Error(path, "not a safetensors file (bad header length)");
  std::string header(length, '\0');
  in.read(header.data(), static_cast<std::streamsize>(length));
  if (!in) throw Error(path, "truncated safetensors header");
  return header;
}

// The input embedding and output projection by the architecture table's own tensor names
// (io/architecture.h), so GPT-NeoX's untied `embed_out.weight` is an embedding parameter, not
// a non-embedding one. A GPTQ folder keeps both unquantized under the same names.
struct EmbeddingNames {
  std::string embed;
  std::string lm_head;
};

EmbeddingNames embedding_names(const std::string& architecture, const std::string& config_path) {
  const ArchitectureSpec* spec = find_architecture(architecture);
  if (spec == nullptr)
    throw Error(config_path, "unsupported architecture '" + architecture + "' (supported: " +
                                 supported_architecture_names() + ")");
  return {std::string(spec->embed), std::string(spec->lm_head)};
}

}  // namespace

ModelFacts read_model_facts(const std::string& name, const std::string& folder) {
  ModelFacts facts;
  facts.name = name;
  facts.path = folder;
  std::string config_path = folder + "/config.json";
  std::string config_text = read_file(config_path);
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(config_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(config_path, std::string("malformed JSON: ") + e.what());
  }
  if (config.contains("architectures") && config["architectures"].is_array() && !config["architectures"].empty())
    facts.architecture = config["architectures"][0].get<std::string>();
  else
    facts.architecture = config.value("model_type", "unknown");
  bool tied = config.value("tie_word_embeddings", false);
  const EmbeddingNames names = embedding_names(facts.architecture, config_path);

  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().extension() == ".safetensors") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error(folder, "no .safetensors weight files");

  std::string fingerprint = config_text;
  int64_t embedding = 0, lm_head = 0;
  for (const auto& file : files) {
    std::string header = safetensors_header(file);
    fingerprint += header + std::to_string(fs::file_size(file));
    nlohmann::json tensors;
    try {
      tensors = nlohmann::json::parse(header);
    } catch (const nlohmann::json::exception& e) {
      throw Error(file, std::string("malformed safetensors header: ") + e.what());
    }
    for (const auto& [tensor, info] : tensors.items()) {
      if (tensor == "__metadata__") continue;
      int64_t numel = 1;
      for (const auto& dim : info.at("shape")) numel *= dim.get<int64_t>();
      facts.n_params += numel;
      if (tensor == names.embed) embedding += numel;
      if (tensor == names.lm_head) lm_head += numel;
    }
  }
  // A tied checkpoint may store both names for one matrix (or only lm_head): count it once.
  if (tied && embedding > 0 && lm_head > 0) facts.n_params -= lm_head;
  int64_t embed_params = tied ? std::max(embedding, lm_head) : embedding + lm_head;
  facts.n_params_nonembed = facts.n_params - embed_params;
  facts.file_hash = fnv1a_hex(fingerprint);
  return facts;
}

}  // namespace qs
