#include "io/model_config.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace qs {
namespace {

using json = nlohmann::json;

// Bounds keep a hostile config from asking for absurd allocations (and keep counts in int64).
constexpr int64_t kMaxDim = int64_t{1} << 20;
constexpr int64_t kMaxVocab = int64_t{1} << 24;
constexpr int64_t kMaxLayers = 4096;

class ConfigReader {
 public:
  ConfigReader(const json& root, std::string where) : root_(root), where_(std::move(where)) {}

  bool has(std::string_view key) const {
    auto it = root_.find(key);
    return it != root_.end() && !it->is_null();
  }
  int64_t integer(std::string_view key, int64_t low, int64_t high) const {
    require(has(key), where_, "missing required key '" + std::string(key) + "'");
    return integer_or(key, 0, low, high);
  }
  int64_t integer_or(std::string_view key, int64_t fallback, int64_t low, int64_t high) const {
    if (!has(key)) return fallback;
    const json& value = root_.at(std::string(key));
    require(value.is_number_integer(), where_, "key '" + std::string(key) + "' must be an integer");
    int64_t v = value.get<int64_t>();
    require(v >= low && v <= high, where_,
            "key '" + std::string(key) + "' = " + std::to_string(v) + " outside [" + std::to_string(low) + ", " +
                std::to_string(high) + "]");
    return v;
  }
  double number_or(std::string_view key, double fallback, double low, double high) const {
    if (!has(key)) return fallback;
    const json& value = root_.at(std::string(key));
    require(value.is_number(), where_, "key '" + std::string(key) + "' must be a number");
    double v = value.get<double>();
    require(std::isfinite(v) && v >= low && v <= high, where_, "key '" + std::string(key) + "' out of range");
    return v;
  }
  bool boolean_or(std::string_view key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& value = root_.at(std::string(key));
    require(value.is_boolean(), where_, "key '" + std::string(key) + "' must be true or false");
    return value.get<bool>();
  }
  std::string string_or(std::string_view key, std::string fallback) const {
    if (!has(key)) return fallback;
    const json& value = root_.at(std::string(key));
    require(value.is_string(), where_, "key '" + std::string(key) + "' must be a string");
    return value.get<std::string>();
  }

 private:
  const json& root_;
  std::string where_;
};

Activation parse_activation(const std::string& name, const std::string& where) {
  if (name == "silu" || name == "swish") return Activation::SiLU;
  if (name == "gelu") return Activation::GELU;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GELUTanh;
  throw Error(where, "unsupported hidden_act '" + name + "' (silu, gelu, gelu_new, gelu_pytorch_tanh)");
}

RopeScaling parse_rope_scaling(const json& root, const std::string& where) {
  RopeScaling scaling;
  auto it = root.find("rope_scaling");
  if (it == root.end() || it->is_null()) return scaling;
  require(it->is_object(), where, "'rope_scaling' must be an object or null");
  ConfigReader reader(*it, where + ": rope_scaling");
  std::string type = reader.string_or("rope_type", reader.string_or("type", "default"));
  if (type == "default") return scaling;
  scaling.factor = reader.number_or("factor", 1.0, 1e-6, 1e6);
  if (type == "linear") {
    scaling.type = RopeScaling::Type::Linear;
  } else if (type == "llama3") {
    scaling.type = RopeScaling::Type::Llama3;
    scaling.low_freq_factor = reader.number_or("low_freq_factor", 1.0, 1e-6, 1e6);
    scaling.high_freq_factor = reader.number_or("high_freq_factor", 4.0, 1e-6, 1e6);
    require(scaling.high_freq_factor > scaling.low_freq_factor, where,
            "rope_scaling: high_freq_factor must exceed low_freq_factor");
    scaling.original_max_position = reader.number_or("original_max_position_embeddings", 8192, 1, 1e9);
  } else {
    throw Error(where, "unsupported rope_scaling type '" + type + "' (linear, llama3)");
  }
  return scaling;
}

bool bias_on(const BiasRule& rule, const ConfigReader& reader) {
  return rule.config_key.empty() ? rule.default_on : reader.boolean_or(rule.config_key, rule.default_on);
}

std::vector<int32_t> parse_eos(const json& root, const std::string& where) {
  std::vector<int32_t> ids;
  auto it = root.find("eos_token_id");
  if (it == root.end() || it->is_null()) return ids;
  auto add = [&](const json& v) {
    require(v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() < kMaxVocab, where,
            "'eos_token_id' must be a token id or a list of them");
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  };
  if (it->is_array()) {
    for (const auto& v : *it) add(v);
  } else {
    add(*it);
  }
  return ids;
}

}  // namespace

ModelConfig parse_model_config(std::string_view json_text, const std::string& where) {
  json root = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  require(!root.is_discarded(), where, "not valid JSON");
  require(root.is_object(), where, "not a JSON object");
  auto archs = root.find("architectures");
  require(archs != root.end() && archs->is_array() && !archs->empty() && (*archs)[0].is_string(), where,
          "missing 'architectures' (a list naming the model class)");

  ModelConfig config;
  config.source = where;
  config.architecture = (*archs)[0].get<std::string>();
  config.arch = find_architecture(config.architecture);
  require(config.arch != nullptr, where,
          "unsupported architecture '" + config.architecture + "' (supported: " + supported_architecture_names() + ")");
  const ArchitectureSpec& arch = *config.arch;
  ConfigReader reader(root, where);

  config.d_model = reader.integer("hidden_size", 1, kMaxDim);
  config.n_layers = reader.integer("num_hidden_layers", 1, kMaxLayers);
  config.n_heads = reader.integer("num_attention_heads", 1, kMaxDim);
  // A fused per-head QKV (GPT-NeoX) has one key/value head per query head; its configs carry no
  // num_key_value_heads, and one that does is not read by the modeling code either.
  config.n_kv_heads = arch.qkv_layout == QkvLayout::FusedPerHead
                          ? config.n_heads
                          : reader.integer_or("num_key_value_heads", config.n_heads, 1, kMaxDim);
  require(config.n_heads % config.n_kv_heads == 0, where,
          "num_attention_heads must be a multiple of num_key_value_heads");
  if (reader.has("head_dim")) {
    config.head_dim = reader.integer("head_dim", 1, kMaxDim);
  } else {
    require(config.d_model % config.n_heads == 0, where, "hidden_size must be a multiple of num_attention_heads");
    config.head_dim = config.d_model / config.n_heads;
  }
  require(config.n_heads * config.head_dim <= kMaxDim, where, "num_attention_heads * head_dim too large");
  config.d_ff = reader.integer("intermediate_size", 1, kMaxDim);
  config.vocab_size = reader.integer("vocab_size", 1, kMaxVocab);
  config.max_position = reader.integer_or("max_position_embeddings", 2048, 1, int64_t{1} << 30);
  double rotary_fraction = reader.number_or("rotary_pct", reader.number_or("partial_rotary_factor",
                                                                           arch.default_rotary_fraction, 0, 1), 0, 1);
  config.rotary_dim = static_cast<int64_t>(static_cast<double>(config.head_dim) * rotary_fraction);
  require(config.rotary_dim % 2 == 0, where, "rotary dimension (head_dim * rotary_pct) must be even");
  config.rope_theta = reader.number_or(arch.rope_theta_key, reader.number_or("rope_theta", 10000.0, 1e-6, 1e12),
                                       1e-6, 1e12);
  config.rope_scaling = parse_rope_scaling(root, where);
  config.norm_eps = reader.number_or(arch.eps_key, 1e-5, 0, 1);
  config.activation = parse_activation(reader.string_or("hidden_act", std::string(arch.default_activation)), where);
  config.tie_word_embeddings = reader.boolean_or("tie_word_embeddings", arch.default_tie);
  config.qkv_bias = bias_on(arch.qkv_bias, reader);
  config.o_bias = bias_on(arch.o_bias, reader);
  config.mlp_bias = bias_on(arch.mlp_bias, reader);
  config.torch_dtype = reader.string_or("torch_dtype", "");
  config.eos_token_ids = parse_eos(root, where);
  if (auto q = root.find("quantization_config"); q != root.end() && !q->is_null())
    config.quantization_config_json = q->dump();
  return config;
}

ModelConfig load_model_config(const std::string& path) {
  std::string file = std::filesystem::is_directory(path) ? path + "/config.json" : path;
  require(std::filesystem::exists(file), file, "config.json not found");
  return parse_model_config(read_file(file), file);
}

std::pair<int64_t, int64_t> ModelConfig::linear_shape(LinearRole role) const {
  switch (role) {
    case LinearRole::Q: return {q_dim(), d_model};
    case LinearRole::K:
    case LinearRole::V: return {kv_dim(), d_model};
    case LinearRole::QKV: return {q_dim() + 2 * kv_dim(), d_model};
    case LinearRole::O: return {d_model, q_dim()};
    case LinearRole::Gate:
    case LinearRole::Up: return {d_ff, d_model};
    case LinearRole::Down: return {d_model, d_ff};
  }
  return {0, 0};
}

bool ModelConfig::linear_has_bias(LinearRole role) const {
  switch (role) {
    case LinearRole::Q:
    case LinearRole::K:
    case LinearRole::V:
    case LinearRole::QKV: return qkv_bias;
    case LinearRole::O: return o_bias;
    default: return mlp_bias;
  }
}

std::string ModelConfig::layer_prefix(int64_t layer) const {
  return std::string(arch->layer_prefix) + std::to_string(layer) + ".";
}

std::string ModelConfig::lm_head_prefix() const {
  const std::string name(arch->lm_head);
  return name.substr(0, name.size() - std::string_view(".weight").size());
}

std::vector<ExpectedTensor> ModelConfig::expected_tensors() const {
  std::vector<ExpectedTensor> tensors;
  auto add_norm = [&](const std::string& prefix, int64_t width) {
    tensors.push_back({prefix + ".weight", {width}});
    if (arch->norm == NormKind::LayerNorm) tensors.push_back({prefix + ".bias", {width}});
  };
  tensors.push_back({std::string(arch->embed), {vocab_size, d_model}});
  for (int64_t layer = 0; layer < n_layers; ++layer) {
    const std::string prefix = layer_prefix(layer);
    add_norm(prefix + std::string(arch->attn_norm), d_model);
    add_norm(prefix + std::string(arch->mlp_norm), d_model);
    if (!arch->q_norm.empty()) tensors.push_back({prefix + std::string(arch->q_norm) + ".weight", {head_dim}});
    if (!arch->k_norm.empty()) tensors.push_back({prefix + std::string(arch->k_norm) + ".weight", {head_dim}});
    for (const auto& linear : arch->linears) {
      auto [out, in] = linear_shape(linear.role);
      tensors.push_back({prefix + std::string(linear.name) + ".weight", {out, in}});
      if (linear_has_bias(linear.role)) tensors.push_back({prefix + std::string(linear.name) + ".bias", {out}});
    }
  }
  add_norm(std::string(arch->final_norm), d_model);
  if (!tie_word_embeddings) tensors.push_back({std::string(arch->lm_head), {vocab_size, d_model}});
  return tensors;
}

ParameterCount ModelConfig::parameter_count() const {
  ParameterCount count;
  for (const auto& tensor : expected_tensors()) {
    int64_t numel = 1;
    for (int64_t dim : tensor.shape) numel *= dim;
    count.total += numel;
    if (tensor.name != arch->embed && tensor.name != arch->lm_head) count.non_embedding += numel;
  }
  return count;
}

}  // namespace qs
