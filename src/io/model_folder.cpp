#include "io/model_folder.h"

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"

namespace qs {
namespace {

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The stored tensors of a packed GPTQ linear other than qweight (they are its zero points,
// scales and act-order permutation, not parameters of the model).
bool is_gptq_side_tensor(const Checkpoint& checkpoint, const std::string& name) {
  for (std::string_view suffix : {".qzeros", ".scales", ".g_idx"})
    if (ends_with(name, suffix) && checkpoint.find(name.substr(0, name.size() - suffix.size()) + ".qweight"))
      return true;
  return false;
}

// Weights one stored tensor stands for: its elements, or for a GPTQ qweight [in * bits / 32,
// out] of int32 words, the out x in weights it packs.
int64_t logical_numel(const TensorView& tensor, const std::optional<GptqFormat>& gptq) {
  if (!gptq || !ends_with(tensor.name, ".qweight")) return tensor.numel();
  require(tensor.shape.size() == 2, tensor.file, "GPTQ tensor '" + tensor.name + "' is not 2-D");
  require(tensor.shape[0] * 32 % gptq->bits == 0, tensor.file,
          "GPTQ tensor '" + tensor.name + "' rows are not a whole number of " + std::to_string(gptq->bits) +
              "-bit weights");
  return tensor.shape[0] * 32 / gptq->bits * tensor.shape[1];
}

}  // namespace

ParameterCount count_parameters(const Checkpoint& checkpoint, const std::optional<GptqFormat>& gptq) {
  const ModelConfig& config = checkpoint.config();
  const std::string embed(config.arch->embed), lm_head(config.arch->lm_head);
  ParameterCount count;
  int64_t embedding = 0, output = 0;
  for (const std::string& name : checkpoint.tensor_names()) {
    if (gptq && is_gptq_side_tensor(checkpoint, name)) continue;
    const int64_t numel = logical_numel(*checkpoint.find(name), gptq);
    count.total += numel;
    if (name == embed) embedding = numel;
    else if (name == lm_head || name == config.lm_head_prefix() + ".qweight") output = numel;  // quantize --lm-head
  }
  // A tied checkpoint may store the one matrix under both names (count it once) or only one.
  if (config.tie_word_embeddings && embedding > 0 && output > 0) count.total -= output;
  const int64_t embedding_params = config.tie_word_embeddings ? std::max(embedding, output) : embedding + output;
  count.non_embedding = count.total - embedding_params;
  return count;
}

ModelFolder ModelFolder::open(const std::string& dir) {
  require(std::filesystem::is_directory(dir), dir, "not a model folder");
  ModelFolder folder;
  folder.dir_ = dir;
  const std::string config_path = dir + "/config.json";
  require(std::filesystem::exists(config_path), config_path, "config.json not found");
  folder.config_text_ = read_file(config_path);
  folder.checkpoint_ = Checkpoint::open(dir, parse_model_config(folder.config_text_, config_path));
  folder.quantization_ = find_quantization_config(folder.config(), dir);
  folder.gptq_ = parse_gptq_format(folder.quantization_);
  folder.parameters_ = count_parameters(folder.checkpoint_, folder.gptq_);
  folder.fingerprint_text_ = folder.config_text_;
  for (const SafetensorsFile* file : folder.checkpoint_.files())
    folder.fingerprint_text_ += std::string(file->header_text()) + std::to_string(file->file_size());
  return folder;
}

}  // namespace qs
