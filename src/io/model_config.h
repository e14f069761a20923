#pragma once
// config.json of a Hugging Face causal LM -> the shapes and hyper-parameters the forward pass
// needs. Supported: see io/architecture.h (Llama, Qwen2, Qwen3, GPT-NeoX). Anything else, or a
// value out of range, is a qs::Error naming the file and the key.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/architecture.h"

namespace qs {

enum class Activation { SiLU, GELU, GELUTanh };  // silu | gelu (erf) | gelu_new / gelu_pytorch_tanh

// rope_scaling: none, "linear" (positions / factor) or "llama3" (Llama-3.1 frequency bands).
struct RopeScaling {
  enum class Type { None, Linear, Llama3 } type = Type::None;
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  double original_max_position = 8192;
};

struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
};

struct ParameterCount {
  int64_t total = 0;          // every weight, a tied embedding counted once
  int64_t non_embedding = 0;  // total minus input embedding and (untied) output projection
};

struct ModelConfig {
  std::string source;  // file the config came from, for error messages
  std::string architecture;
  const ArchitectureSpec* arch = nullptr;
  int64_t d_model = 0;
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t d_ff = 0;
  int64_t vocab_size = 0;
  int64_t max_position = 0;
  int64_t rotary_dim = 0;  // leading dims of each head that are rotated (partial rotary: < head_dim)
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  double norm_eps = 1e-5;
  Activation activation = Activation::SiLU;
  bool tie_word_embeddings = false;
  bool qkv_bias = false, o_bias = false, mlp_bias = false;
  std::string torch_dtype;                  // as written ("bfloat16"), may be empty
  std::vector<int32_t> eos_token_ids;       // eos_token_id (int or list)
  std::string quantization_config_json;     // raw "quantization_config" object, "" when absent

  int64_t q_dim() const { return n_heads * head_dim; }
  int64_t kv_dim() const { return n_kv_heads * head_dim; }
  // [out_features, in_features] of a linear of the given role.
  std::pair<int64_t, int64_t> linear_shape(LinearRole role) const;
  bool linear_has_bias(LinearRole role) const;
  std::string layer_prefix(int64_t layer) const;  // "model.layers.3."
  std::string lm_head_prefix() const;              // "lm_head" (Llama, Qwen), "embed_out" (GPT-NeoX)
  // Every tensor a dense checkpoint of this config holds (tied: the embedding only).
  std::vector<ExpectedTensor> expected_tensors() const;
  ParameterCount parameter_count() const;
};

ModelConfig parse_model_config(std::string_view json_text, const std::string& where);
// `path`: a model folder (reads path/config.json) or a config.json file.
ModelConfig load_model_config(const std::string& path);

}  // namespace qs
