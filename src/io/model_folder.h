#pragma once
// The one answer to "what is in this model folder?": config.json (parsed once), the
// architecture's table row (io/architecture.h), the safetensors files (mapped once, every header
// validated), the quantization it states, and the parameter counts of the stored tensors. Every
// stage that needs to know about a folder asks this; the weights stay in the mapping until the
// model takes the checkpoint (Transformer::load(folder.take_checkpoint(), ...)).
//
//   ModelFolder folder = ModelFolder::open(dir);
//   folder.parameters().non_embedding;   // N of a scaling law fitted on non-embedding N
//   folder.gptq();                       // std::nullopt for a dense folder
#include <optional>
#include <string>

#include "io/checkpoint.h"
#include "io/model_config.h"
#include "io/quantization_config.h"

namespace qs {

class ModelFolder {
 public:
  // Reads dir/config.json once and opens the safetensors file(s) once (Checkpoint::open's checks).
  // qs::Error naming the file for a missing or malformed config, weights or quantization config.
  static ModelFolder open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const ModelConfig& config() const { return checkpoint_.config(); }
  const std::string& config_text() const { return config_text_; }
  const QuantizationConfig& quantization() const { return quantization_; }
  const std::optional<GptqFormat>& gptq() const { return gptq_; }

  // Parameters of the stored tensors: N counts every weight once (a tied matrix stored under both
  // names once), a GPTQ linear as its logical out x in weights (not packed int32 words, zeros,
  // scales or g_idx); non-embedding N leaves out the tensors the architecture table names as the
  // input embedding and output projection (never a substring guess: GPT-NeoX's `embed_out`).
  const ParameterCount& parameters() const { return parameters_; }
  // config.json, each safetensors header and each file's size: changes when the checkpoint
  // does, without reading gigabytes of weights (hash it for a fingerprint).
  const std::string& fingerprint_text() const { return fingerprint_text_; }

  const Checkpoint& checkpoint() const { return checkpoint_; }
  // Hands the mapped checkpoint to the model; the folder's other answers stay valid.
  Checkpoint take_checkpoint() && { return std::move(checkpoint_); }

 private:
  std::string dir_, config_text_, fingerprint_text_;
  Checkpoint checkpoint_;
  QuantizationConfig quantization_;
  std::optional<GptqFormat> gptq_;
  ParameterCount parameters_;
};

// The counts of a tensor inventory (name -> shape) of `config`'s architecture; `gptq` the
// folder's GPTQ settings (packed linears counted as out x in), std::nullopt for dense.
ParameterCount count_parameters(const Checkpoint& checkpoint, const std::optional<GptqFormat>& gptq);

}  // namespace qs
