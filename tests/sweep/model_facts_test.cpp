// read_model_facts: N and non-embedding N of each architecture, tied and untied, against counts
// made by hand from the config's shapes (not from the safetensors headers the code reads).
#include "sweep/model_facts.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/model_config.h"
#include "io/random_checkpoint.h"
#include "test_support.h"

namespace qs {
namespace {

// Parameters of one decoder block from the config alone: projections (+ biases), MLP, norms.
int64_t block_params(const ModelConfig& c, bool neox) {
  const int64_t d = c.d_model, q = c.q_dim(), kv = c.kv_dim(), ff = c.d_ff;
  if (neox)  // fused qkv + dense, both with bias; in/out MLP with bias; two LayerNorms (w + b)
    return (d * 3 * q + 3 * q) + (q * d + d) + (d * ff + ff) + (ff * d + d) + 4 * d;
  int64_t attention = d * q + 2 * d * kv + q * d;
  if (c.qkv_bias) attention += q + 2 * kv;
  if (c.o_bias) attention += d;
  int64_t mlp = 3 * d * ff;
  if (c.mlp_bias) mlp += 2 * ff + d;
  int64_t norms = 2 * d;
  if (!c.arch->q_norm.empty()) norms += 2 * c.head_dim;  // Qwen3's per-head q and k norms
  return attention + mlp + norms;
}

TEST(ModelFacts, NonEmbeddingCountsLeaveOutTheEmbeddingAndAnUntiedOutputMatrix) {
  for (const char* arch : {"LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "GPTNeoXForCausalLM"}) {
    for (bool tied : {true, false}) {
      test::ScratchDir dir(std::string("facts_") + arch + (tied ? "_tied" : "_untied"));
      auto config = nlohmann::json::parse(tiny_config_json(arch));
      config["tie_word_embeddings"] = tied;
      write_random_checkpoint(dir.path(), config.dump(), {});
      const ModelConfig c = load_model_config(dir.file("config.json"));
      const bool neox = std::string(arch) == "GPTNeoXForCausalLM";
      const int64_t final_norm = neox ? 2 * c.d_model : c.d_model;
      const int64_t nonembed = c.n_layers * block_params(c, neox) + final_norm;
      const int64_t embeddings = c.vocab_size * c.d_model * (tied ? 1 : 2);
      const ModelFacts facts = read_model_facts(arch, dir.path());
      EXPECT_EQ(facts.n_params, nonembed + embeddings) << arch << (tied ? " tied" : " untied");
      EXPECT_EQ(facts.n_params_nonembed, nonembed) << arch << (tied ? " tied" : " untied");
    }
  }
}

}  // namespace
}  // namespace qs
