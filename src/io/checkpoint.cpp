#include "io/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"

namespace qs {

Checkpoint Checkpoint::open(const std::string& dir) {
  require(std::filesystem::is_directory(dir), dir, "not a model folder");
  return open(dir, load_model_config(dir));
}

Checkpoint Checkpoint::open(const std::string& dir, ModelConfig config) {
  Checkpoint checkpoint;
  checkpoint.dir_ = dir;
  require(std::filesystem::is_directory(dir), dir, "not a model folder");
  checkpoint.config_ = std::move(config);

  const std::string single = dir + "/model.safetensors";
  const std::string index_path = dir + "/model.safetensors.index.json";
  std::map<std::string, std::string> weight_map;  // tensor -> shard file (sharded only)
  if (std::filesystem::exists(single)) {
    checkpoint.files_.push_back(std::make_unique<SafetensorsFile>(single));
  } else if (std::filesystem::exists(index_path)) {
    auto index = nlohmann::json::parse(read_file(index_path), nullptr, false);
    require(!index.is_discarded() && index.is_object(), index_path, "not a JSON object");
    auto map_it = index.find("weight_map");
    require(map_it != index.end() && map_it->is_object(), index_path, "missing object 'weight_map'");
    std::set<std::string> shards;
    for (auto it = map_it->begin(); it != map_it->end(); ++it) {
      require(it->is_string(), index_path, "weight_map entry '" + it.key() + "' is not a file name");
      std::string shard = it->get<std::string>();
      require(shard.find('/') == std::string::npos, index_path, "shard name '" + shard + "' must be a plain file name");
      weight_map[it.key()] = shard;
      shards.insert(shard);
    }
    for (const auto& shard : shards) checkpoint.files_.push_back(std::make_unique<SafetensorsFile>(dir + "/" + shard));
  } else {
    throw Error(dir, "no model.safetensors or model.safetensors.index.json");
  }

  for (const auto& file : checkpoint.files_) {
    for (const auto& tensor : file->tensors()) {
      auto [it, inserted] = checkpoint.index_.emplace(tensor.name, &tensor);
      require(inserted, tensor.file, "tensor '" + tensor.name + "' is stored twice (also in " + it->second->file + ")");
    }
  }
  checkpoint.require_no_layers_past_config();
  for (const auto& [name, shard] : weight_map) {
    const TensorView* tensor = checkpoint.find(name);
    require(tensor != nullptr && std::filesystem::path(tensor->file).filename() == shard, index_path,
            "weight_map says tensor '" + name + "' is in " + shard + ", but it is not there");
  }
  return checkpoint;
}

void Checkpoint::require_no_layers_past_config() const {
  // A config.json with fewer layers than the weights would run a truncated model whose scores
  // look plausible; the tensors it would leave unused are named instead.
  const std::string_view prefix = config_.arch->layer_prefix;
  std::vector<std::string> unused;
  for (const auto& [name, tensor] : index_) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const size_t digits = name.find_first_not_of("0123456789", prefix.size());
    if (digits == prefix.size() || digits == std::string::npos || digits - prefix.size() > 9) continue;
    if (std::stoll(name.substr(prefix.size(), digits - prefix.size())) >= config_.n_layers) unused.push_back(name);
  }
  if (unused.empty()) return;
  std::sort(unused.begin(), unused.end());
  std::string listed;
  for (size_t i = 0; i < std::min<size_t>(unused.size(), 3); ++i) listed += (i ? ", '" : "'") + unused[i] + "'";
  throw Error(dir_ + "/config.json", "num_hidden_layers is " + std::to_string(config_.n_layers) + " but " +
                                         std::to_string(unused.size()) + " tensors belong to later layers (" + listed +
                                         (unused.size() > 3 ? ", ..." : "") +
                                         ") and would be left unused: the config does not describe these weights");
}

const TensorView* Checkpoint::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

const TensorView& Checkpoint::get(const std::string& name, const std::vector<int64_t>& shape) const {
  const TensorView* tensor = find(name);
  require(tensor != nullptr, dir_, "missing tensor '" + name + "' in the safetensors file(s)");
  if (!shape.empty() && tensor->shape != shape) {
    TensorView expected;
    expected.shape = shape;
    throw Error(tensor->file, "tensor '" + name + "' has shape " + tensor->shape_string() + ", config.json implies " +
                                  expected.shape_string());
  }
  return *tensor;
}

const TensorView& Checkpoint::embedding() const {
  const std::vector<int64_t> shape{config_.vocab_size, config_.d_model};
  const std::string embed(config_.arch->embed);
  if (!find(embed) && config_.tie_word_embeddings && find(std::string(config_.arch->lm_head)))
    return get(std::string(config_.arch->lm_head), shape);
  return get(embed, shape);
}

const TensorView& Checkpoint::output_projection() const {
  const std::vector<int64_t> shape{config_.vocab_size, config_.d_model};
  const std::string head(config_.arch->lm_head);
  if (config_.tie_word_embeddings) return embedding();
  return get(head, shape);
}

std::vector<std::string> Checkpoint::tensor_names() const {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : index_) names.push_back(name);
  return names;
}

int64_t Checkpoint::file_bytes() const {
  int64_t bytes = 0;
  for (const auto& file : files_) bytes += static_cast<int64_t>(file->file_size());
  return bytes;
}

std::vector<const SafetensorsFile*> Checkpoint::files() const {
  std::vector<const SafetensorsFile*> files;
  for (const auto& file : files_) files.push_back(file.get());
  return files;
}

std::vector<std::string> Checkpoint::dtypes() const {
  std::set<std::string> names;
  for (const auto& [name, tensor] : index_) names.insert(std::string(dtype_name(tensor->dtype)));
  return {names.begin(), names.end()};
}

}  // namespace qs
