#include "io/random_checkpoint.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/half.h"
#include "io/model_config.h"
#include "io/safetensors.h"

namespace qs {
namespace {

using json = nlohmann::json;

void apply_shape(json& config, const TinyShape& shape) {
  config["hidden_size"] = shape.d_model;
  config["num_hidden_layers"] = shape.n_layers;
  config["num_attention_heads"] = shape.n_heads;
  config["num_key_value_heads"] = shape.n_kv_heads;
  config["intermediate_size"] = shape.d_ff;
  config["vocab_size"] = shape.vocab_size;
  config["max_position_embeddings"] = shape.max_position;
  if (shape.head_dim > 0) {
    config["head_dim"] = shape.head_dim;
  } else {
    config.erase("head_dim");
  }
  if (config.contains("max_window_layers")) config["max_window_layers"] = shape.n_layers;
}

// splitmix64: fast, seedable, and identical everywhere (std distributions are not).
struct Uniform {
  uint64_t state;
  float next_symmetric() {  // U(-1, 1)
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<float>(static_cast<double>(z >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  }
};

void fill_random(uint8_t* dst, size_t n_bytes, DType dtype, uint64_t seed, double offset, double stddev) {
  Uniform rng{seed};
  const double half_width = stddev * std::sqrt(3.0);  // U(-a, a) has std a / sqrt(3)
  const size_t count = n_bytes / dtype_size(dtype);
  auto* f32 = reinterpret_cast<float*>(dst);
  auto* u16 = reinterpret_cast<uint16_t*>(dst);
  for (size_t i = 0; i < count; ++i) {
    float value = static_cast<float>(offset + half_width * rng.next_symmetric());
    if (dtype == DType::F32) f32[i] = value;
    else if (dtype == DType::BF16) u16[i] = f32_to_bf16(value);
    else u16[i] = f32_to_fp16(value);
  }
}

std::string dtype_to_torch(DType dtype) {
  switch (dtype) {
    case DType::F32: return "float32";
    case DType::BF16: return "bfloat16";
    case DType::F16: return "float16";
    default: throw Error("random checkpoint", "dtype must be F32, BF16 or F16");
  }
}

}  // namespace

std::string tiny_config_json(std::string_view architecture, const TinyShape& shape) {
  const ArchitectureSpec* arch = find_architecture(architecture);
  require(arch != nullptr, "tiny_config_json",
          "unsupported architecture '" + std::string(architecture) + "' (supported: " + supported_architecture_names() + ")");
  json config = {{"architectures", {std::string(architecture)}}, {"bos_token_id", 1}, {"eos_token_id", 2}};
  if (arch->norm == NormKind::LayerNorm) {  // GPT-NeoX / Pythia
    config.update({{"model_type", "gpt_neox"}, {"hidden_act", "gelu"}, {"layer_norm_eps", 1e-5},
                   {"rotary_pct", 0.25}, {"rotary_emb_base", 10000}, {"use_parallel_residual", true},
                   {"tie_word_embeddings", false}, {"attention_bias", true}});
  } else {
    config.update({{"hidden_act", "silu"}, {"rms_norm_eps", 1e-6}, {"rope_theta", 10000.0},
                   {"tie_word_embeddings", true}});
    if (architecture == "Qwen3ForCausalLM") config["model_type"] = "qwen3";
    else if (architecture == "Qwen2ForCausalLM") config["model_type"] = "qwen2";
    else config["model_type"] = "llama";
  }
  apply_shape(config, shape);
  if (arch->qkv_layout == QkvLayout::FusedPerHead) config.erase("num_key_value_heads");
  if (!arch->q_norm.empty() && shape.head_dim == 0) config["head_dim"] = shape.d_model / shape.n_heads;
  return config.dump(2);
}

std::string shrink_config_json(std::string_view config_json, const TinyShape& shape) {
  json config = json::parse(config_json.begin(), config_json.end(), nullptr, false);
  require(!config.is_discarded() && config.is_object(), "shrink_config_json", "not a JSON object");
  const bool had_head_dim = config.contains("head_dim");
  apply_shape(config, shape);
  if (had_head_dim && shape.head_dim == 0) config["head_dim"] = shape.d_model / shape.n_heads;
  return config.dump(2);
}

void write_random_checkpoint(const std::string& dir, std::string_view config_text,
                             const RandomCheckpointOptions& options) {
  json config_json = json::parse(config_text.begin(), config_text.end(), nullptr, false);
  require(!config_json.is_discarded() && config_json.is_object(), dir, "config is not a JSON object");
  config_json["torch_dtype"] = dtype_to_torch(options.dtype);
  const std::string text = config_json.dump(2);
  const ModelConfig config = parse_model_config(text, dir + "/config.json");
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/config.json", text);

  std::vector<TensorToWrite> tensors;
  uint64_t seed = options.seed * 0x100000001b3ull;
  for (const auto& expected : config.expected_tensors()) {
    std::string name = expected.name;
    double offset = 0, stddev = 0;
    const bool is_embedding = name == config.arch->embed || name == config.arch->lm_head;
    const bool is_vector = expected.shape.size() == 1;
    const bool is_norm = is_vector && name.find("norm") != std::string::npos && name.ends_with(".weight");
    if (is_embedding) stddev = options.scale;
    else if (is_norm) offset = 1.0, stddev = 0.1;
    else if (is_vector) stddev = 0.1 * options.scale;  // biases (and LayerNorm biases)
    else stddev = options.scale / std::sqrt(static_cast<double>(expected.shape[1]));
    if (options.tied_as_lm_head && config.tie_word_embeddings && name == config.arch->embed)
      name = std::string(config.arch->lm_head);
    const DType dtype = options.dtype;
    const uint64_t tensor_seed = ++seed * 0x9e3779b97f4a7c15ull;
    tensors.push_back({name, dtype, expected.shape, [=](uint8_t* dst, size_t n_bytes) {
                         fill_random(dst, n_bytes, dtype, tensor_seed, offset, stddev);
                       }});
  }
  write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
}

}  // namespace qs
