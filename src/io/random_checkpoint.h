#pragma once
// Tiny random checkpoints of every supported architecture, written with our own safetensors
// writer: the fixtures of the parity tests (tests/reference/torch_forward.py reads the same
// files) and of other stages' tests (quantize, eval) that need a model without shipping one.
//
//   write_random_checkpoint(dir, tiny_config_json("Qwen3ForCausalLM"), {.dtype = DType::BF16});
//   auto model = Transformer::load(dir);
#include <cstdint>
#include <string>
#include <string_view>

#include "core/dtype.h"

namespace qs {

struct TinyShape {
  int64_t d_model = 64;
  int64_t n_layers = 2;
  int64_t n_heads = 4;
  int64_t n_kv_heads = 2;
  int64_t head_dim = 0;  // 0: d_model / n_heads (Qwen3 configs always state it)
  int64_t d_ff = 128;
  int64_t vocab_size = 256;
  int64_t max_position = 512;
};

// config.json text for a small model of `architecture` (each family's own keys and defaults:
// Qwen2 biases, Qwen3 head_dim and q/k norms, NeoX partial rotary and parallel residual).
// Throws qs::Error for an unsupported architecture.
std::string tiny_config_json(std::string_view architecture, const TinyShape& shape = {});

// A real config.json (e.g. shared/hf/Qwen-Qwen3-0.6B/config.json) with its size keys replaced
// by `shape`; everything else (rope, biases, activation, tying) is kept.
std::string shrink_config_json(std::string_view config_json, const TinyShape& shape);

struct RandomCheckpointOptions {
  DType dtype = DType::F32;  // F32, BF16 or F16
  uint64_t seed = 1;
  // Weights ~ U with std = scale / sqrt(in_features); embeddings std = scale; norm weights
  // 1 + U(std 0.1); biases std 0.1 * scale.
  double scale = 1.0;
  // Tied models: store the shared matrix as lm_head.weight only (like the fp32 TinyStories copy).
  bool tied_as_lm_head = false;
};

// Writes dir/config.json (torch_dtype set to match) and dir/model.safetensors holding every
// tensor the config implies (ModelConfig::expected_tensors). Creates dir if needed.
void write_random_checkpoint(const std::string& dir, std::string_view config_json,
                             const RandomCheckpointOptions& options = {});

}  // namespace qs
