#include "io/model_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/random_checkpoint.h"
#include "test_support.h"

namespace qs {
namespace {

using json = nlohmann::json;

// Parameter count from the published modeling code's shapes, written out independently of
// ModelConfig::expected_tensors: per layer q,k,v,o + gate,up,down + two norms (+ Qwen2 q/k/v
// biases, + Qwen3 q_norm/k_norm), plus the final norm, plus embeddings (tied counted once).
ParameterCount formula_count(const json& c) {
  const int64_t H = c["hidden_size"], L = c["num_hidden_layers"], heads = c["num_attention_heads"];
  const int64_t kv = c.value("num_key_value_heads", heads);
  const int64_t hd = c.contains("head_dim") ? c["head_dim"].get<int64_t>() : H / heads;
  const int64_t I = c["intermediate_size"], V = c["vocab_size"];
  const std::string arch = c["architectures"][0];
  int64_t per_layer = H * heads * hd + 2 * H * kv * hd + heads * hd * H + 3 * H * I + 2 * H;
  if (arch == "Qwen2ForCausalLM") per_layer += heads * hd + 2 * kv * hd;
  if (arch == "Qwen3ForCausalLM") per_layer += 2 * hd;
  const int64_t non_embedding = L * per_layer + H;
  const bool tied = c.value("tie_word_embeddings", false);
  return {non_embedding + V * H * (tied ? 1 : 2), non_embedding};
}

struct PublishedCount {
  const char* folder;
  int64_t total;          // exact where the model card / paper gives it exactly
  double total_billions;  // the rounded figure of the model card
  double non_embedding_billions;
};

TEST(ModelConfig, RealConfigsGiveThePublishedParameterCounts) {
  // Model cards: Qwen3 (0.6B/0.44B, 1.7B/1.4B, 4.0B/3.6B, 8.2B/6.95B, 14.8B/13.2B, 32.8B/31.2B),
  // Qwen2.5-0.5B (0.49B/0.36B); Llama-3.1-8B 8,030,261,248 and Llama-3.2-1B 1,235,814,400.
  const std::vector<PublishedCount> published{
      {"Qwen-Qwen3-0.6B", 596049920, 0.6, 0.44},   {"Qwen-Qwen3-1.7B", 0, 1.7, 1.4},
      {"Qwen-Qwen3-4B", 0, 4.0, 3.6},              {"Qwen-Qwen3-8B", 0, 8.2, 6.95},
      {"Qwen-Qwen3-14B", 0, 14.8, 13.2},           {"Qwen-Qwen3-32B", 0, 32.8, 31.2},
      {"Qwen-Qwen2.5-0.5B", 0, 0.49, 0.36},        {"meta-llama-Llama-3.1-8B", 8030261248, 8.0, 0},
      {"meta-llama-Llama-3.2-1B", 1235814400, 1.24, 0}};
  for (const auto& model : published) {
    const std::string path = test::shared_file("hf/" + std::string(model.folder) + "/config.json");
    ModelConfig config = load_model_config(path);
    ParameterCount count = config.parameter_count();
    ParameterCount expected = formula_count(json::parse(read_file(path)));
    EXPECT_EQ(count.total, expected.total) << model.folder;
    EXPECT_EQ(count.non_embedding, expected.non_embedding) << model.folder;
    if (model.total) {
      EXPECT_EQ(count.total, model.total) << model.folder;
    }
    const double rounding = model.total_billions < 1 ? 0.005 : 0.05;
    EXPECT_NEAR(count.total / 1e9, model.total_billions, rounding) << model.folder;
    if (model.non_embedding_billions > 0) {
      EXPECT_NEAR(count.non_embedding / 1e9, model.non_embedding_billions, rounding) << model.folder;
    }
  }
  EXPECT_EQ(load_model_config(test::shared_file("hf/Qwen-Qwen3-0.6B/config.json")).parameter_count().non_embedding,
            440467456);
}

TEST(ModelConfig, ParsesFamilySpecificFields) {
  ModelConfig qwen3 = load_model_config(test::shared_file("hf/Qwen-Qwen3-32B/config.json"));
  EXPECT_EQ(qwen3.head_dim, 128);   // explicit, not hidden / heads (5120 / 64 = 80)
  EXPECT_EQ(qwen3.q_dim(), 8192);
  EXPECT_EQ(qwen3.n_kv_heads, 8);
  EXPECT_FALSE(qwen3.tie_word_embeddings);
  EXPECT_EQ(qwen3.rope_theta, 1000000.0);

  ModelConfig llama = load_model_config(test::shared_file("hf/meta-llama-Llama-3.2-1B/config.json"));
  EXPECT_EQ(llama.rope_scaling.type, RopeScaling::Type::Llama3);
  EXPECT_EQ(llama.rope_scaling.factor, 32.0);
  EXPECT_EQ(llama.rope_scaling.original_max_position, 8192.0);
  EXPECT_EQ(llama.rope_theta, 500000.0);
  EXPECT_TRUE(llama.tie_word_embeddings);
  EXPECT_EQ(llama.eos_token_ids, std::vector<int32_t>{128001});

  ModelConfig qwen2 = load_model_config(test::shared_file("hf/Qwen-Qwen2.5-0.5B/config.json"));
  EXPECT_TRUE(qwen2.qkv_bias);
  EXPECT_FALSE(qwen2.o_bias);
  EXPECT_EQ(qwen2.head_dim, 64);

  ModelConfig neox = parse_model_config(tiny_config_json("GPTNeoXForCausalLM"), "neox");
  EXPECT_EQ(neox.arch->norm, NormKind::LayerNorm);
  EXPECT_EQ(neox.rotary_dim, neox.head_dim / 4);
  EXPECT_TRUE(neox.qkv_bias && neox.o_bias && neox.mlp_bias);
  EXPECT_EQ(neox.activation, Activation::GELU);
  EXPECT_FALSE(neox.tie_word_embeddings);
}

TEST(ModelConfig, Pythia160mShapesGiveItsPublishedCount) {
  // Pythia-160m (EleutherAI/pythia-160m config.json): 162,322,944 total, 85,056,000 non-embedding
  // (Biderman et al. 2023, Table 1).
  json config = {{"architectures", {"GPTNeoXForCausalLM"}}, {"hidden_size", 768}, {"num_hidden_layers", 12},
                 {"num_attention_heads", 12}, {"intermediate_size", 3072}, {"vocab_size", 50304},
                 {"rotary_pct", 0.25}, {"hidden_act", "gelu"}, {"tie_word_embeddings", false},
                 {"use_parallel_residual", true}, {"layer_norm_eps", 1e-5}};
  ParameterCount count = parse_model_config(config.dump(), "pythia-160m").parameter_count();
  EXPECT_EQ(count.total, 162322944);
  EXPECT_EQ(count.non_embedding, 85056000);
}

TEST(ModelConfig, UnsupportedOrBrokenConfigsAreClearErrors) {
  const std::string gpt2 = test::shared_file("hf/openai-community-gpt2/config.json");
  try {
    load_model_config(gpt2);
    FAIL() << "GPT-2 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported architecture 'GPT2LMHeadModel'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(gpt2), std::string::npos);
  }
  auto error_of = [](const std::string& text) -> std::string {
    try {
      parse_model_config(text, "cfg.json");
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  json base = json::parse(tiny_config_json("LlamaForCausalLM"));
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("{}").find("architectures"), std::string::npos);
  json missing = base;
  missing.erase("hidden_size");
  EXPECT_NE(error_of(missing.dump()).find("hidden_size"), std::string::npos);
  json heads = base;
  heads["num_key_value_heads"] = 3;
  EXPECT_NE(error_of(heads.dump()).find("multiple"), std::string::npos);
  json negative = base;
  negative["vocab_size"] = -5;
  EXPECT_NE(error_of(negative.dump()).find("vocab_size"), std::string::npos);
  json rope = base;
  rope["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  EXPECT_NE(error_of(rope.dump()).find("yarn"), std::string::npos);
  json act = base;
  act["hidden_act"] = "relu2";
  EXPECT_NE(error_of(act.dump()).find("relu2"), std::string::npos);
}

}  // namespace
}  // namespace qs
