// ModelFolder's parameter counts. Expected values are computed BY HAND here from the config
// values (the formulas below are written from the Hugging Face modelling code of each family,
// not from our architecture table), and checked against the counts the model cards and the
// Pythia paper publish: Qwen3-0.6B 0.6B / 0.44B non-embedding, Qwen2.5-0.5B 0.49B / 0.36B,
// Llama-3.2-1B 1.24B, Pythia-70m 70,426,624 / 18,915,328 and Pythia-160m 162,322,944 /
// 85,056,000 (Biderman et al. 2023, Table 1).
#include "io/model_folder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/random_checkpoint.h"
#include "quant/quantize_model.h"
#include "test_support.h"

namespace qs {
namespace {

using nlohmann::json;

// Pythia's published configs (huggingface.co/EleutherAI/pythia-70m, -160m config.json); no copy
// under shared/hf.
json pythia_config(int64_t hidden, int64_t layers, int64_t heads) {
  return {{"architectures", {"GPTNeoXForCausalLM"}}, {"hidden_act", "gelu"}, {"hidden_size", hidden},
          {"intermediate_size", 4 * hidden}, {"layer_norm_eps", 1e-5}, {"max_position_embeddings", 2048},
          {"num_attention_heads", heads}, {"num_hidden_layers", layers}, {"rotary_emb_base", 10000},
          {"rotary_pct", 0.25}, {"tie_word_embeddings", false}, {"use_parallel_residual", true},
          {"vocab_size", 50304}};
}

// By hand from config values: per layer attention + MLP + norms, a final norm, the embedding and
// (untied) an output matrix of vocab x hidden.
ParameterCount hand_count(const json& c) {
  const std::string arch = c["architectures"][0];
  const int64_t d = c["hidden_size"], layers = c["num_hidden_layers"], heads = c["num_attention_heads"];
  const int64_t kv_heads = c.value("num_key_value_heads", heads);
  const int64_t head_dim = c.contains("head_dim") && !c["head_dim"].is_null() ? c["head_dim"].get<int64_t>() : d / heads;
  const int64_t q = heads * head_dim, kv = kv_heads * head_dim, ff = c["intermediate_size"], vocab = c["vocab_size"];
  const bool tied = c.value("tie_word_embeddings", false);
  int64_t block = 0, final_norm = d;
  if (arch == "GPTNeoXForCausalLM") {
    // query_key_value [3q, d] + bias, dense [d, q] + bias, dense_h_to_4h + bias, dense_4h_to_h +
    // bias, two LayerNorms (weight + bias); final LayerNorm weight + bias.
    block = (d * 3 * q + 3 * q) + (q * d + d) + (d * ff + ff) + (ff * d + d) + 2 * 2 * d;
    final_norm = 2 * d;
  } else {
    const bool attention_bias = c.value("attention_bias", false);
    block = d * q + 2 * d * kv + q * d + 3 * d * ff + 2 * d;  // q, k, v, o; gate, up, down; two RMSNorms
    if (arch == "Qwen2ForCausalLM") block += q + 2 * kv;        // q, k, v biases always, o never
    else if (attention_bias) block += q + 2 * kv + d;
    if (c.value("mlp_bias", false)) block += 2 * ff + d;
    if (arch == "Qwen3ForCausalLM") block += 2 * head_dim;  // q_norm, k_norm over head_dim
  }
  ParameterCount count;
  count.non_embedding = layers * block + final_norm;
  count.total = count.non_embedding + vocab * d * (tied ? 1 : 2);
  return count;
}

struct Published {
  std::string label;
  json config;
  double total, non_embedding;  // as published
  double rounding;              // the precision it is published to (0: exact)
};

std::vector<Published> published_models() {
  auto shared = [](const std::string& folder) { return json::parse(read_file(test::shared_file("hf/" + folder + "/config.json"))); };
  return {{"Qwen3-0.6B", shared("Qwen-Qwen3-0.6B"), 0.6e9, 0.44e9, 0.01e9},
          {"Qwen2.5-0.5B", shared("Qwen-Qwen2.5-0.5B"), 0.49e9, 0.36e9, 0.01e9},
          {"Llama-3.2-1B", shared("meta-llama-Llama-3.2-1B"), 1.24e9, -1, 0.01e9},
          {"Pythia-70m", pythia_config(512, 6, 8), 70426624, 18915328, 0},
          {"Pythia-160m", pythia_config(768, 12, 12), 162322944, 85056000, 0}};
}

// The formula from config values (ModelConfig::parameter_count, what `quantscale info` prints)
// for the published configs, against the hand count and the published figure.
TEST(ModelFolder, ConfigCountsOfPublishedModelsMatchTheHandCountAndThePublishedFigure) {
  std::printf("| model | expected N | got N | expected non-embedding N | got non-embedding N |\n|---|---|---|---|---|\n");
  for (const Published& model : published_models()) {
    const ParameterCount hand = hand_count(model.config);
    const ParameterCount got = parse_model_config(model.config.dump(), model.label).parameter_count();
    std::printf("| %s | %lld | %lld | %lld | %lld |\n", model.label.c_str(), static_cast<long long>(hand.total),
                static_cast<long long>(got.total), static_cast<long long>(hand.non_embedding),
                static_cast<long long>(got.non_embedding));
    EXPECT_EQ(got.total, hand.total) << model.label;
    EXPECT_EQ(got.non_embedding, hand.non_embedding) << model.label;
    // The hand count rounds to the published figure (half a unit of its last digit).
    const double half = model.rounding > 0 ? model.rounding / 2 : 0.5;
    EXPECT_LE(std::abs(static_cast<double>(hand.total) - model.total), half) << model.label;
    if (model.non_embedding > 0) {
      EXPECT_LE(std::abs(static_cast<double>(hand.non_embedding) - model.non_embedding), half) << model.label;
    }
  }
}

TinyShape tiny_shape(const json& config) {
  TinyShape shape;
  if (config["architectures"][0] == "GPTNeoXForCausalLM") shape.n_kv_heads = shape.n_heads;  // NeoX: no GQA
  return shape;
}

// The stored-tensor inventory of tiny checkpoints of each published config (shrunk, every other
// key kept), tied and untied, a tied matrix stored under the lm_head name only too.
TEST(ModelFolder, StoredTensorCountsMatchTheHandCountForEveryArchitectureTiedAndUntied) {
  for (const Published& model : published_models()) {
    for (bool tied : {true, false}) {
      for (bool as_lm_head : {false, true}) {
        if (as_lm_head && !tied) continue;
        json config = json::parse(shrink_config_json(model.config.dump(), tiny_shape(model.config)));
        config["tie_word_embeddings"] = tied;
        test::ScratchDir dir("folder_counts");
        write_random_checkpoint(dir.path(), config.dump(), {.tied_as_lm_head = as_lm_head});
        const ModelFolder folder = ModelFolder::open(dir.path());
        const ParameterCount hand = hand_count(config);
        const std::string label = model.label + (tied ? " tied" : " untied") + (as_lm_head ? " (lm_head only)" : "");
        EXPECT_EQ(folder.parameters().total, hand.total) << label;
        EXPECT_EQ(folder.parameters().non_embedding, hand.non_embedding) << label;
        EXPECT_FALSE(folder.gptq().has_value()) << label;
      }
    }
  }
}

// A GPTQ export of a tiny model (RTN, 4 and 3 bits): N counts each packed linear as its
// out x in weights, so the counts equal the dense model's hand count.
TEST(ModelFolder, GptqFolderCountsLogicalWeightsNotPackedWords) {
  for (const char* arch : {"Qwen3ForCausalLM", "GPTNeoXForCausalLM"}) {
    for (int bits : {4, 3}) {
      for (bool tied : {true, false}) {
        test::ScratchDir dir("folder_gptq");
        json config = json::parse(tiny_config_json(arch));
        config["tie_word_embeddings"] = tied;
        write_random_checkpoint(dir.file("dense"), config.dump());
        QuantizeOptions options;
        options.method = QuantMethod::Rtn;
        options.gptq.grid.bits = bits;
        options.gptq.group_size = 32;
        options.heldout_samples = 0;
        options.show_progress = false;
        QuantizedModel quantized = quantize_in_memory(dir.file("dense"), options);
        export_quantized(quantized, dir.file("gptq"));
        const ModelFolder folder = ModelFolder::open(dir.file("gptq"));
        const std::string label = std::string(arch) + " " + std::to_string(bits) + " bits" + (tied ? " tied" : " untied");
        ASSERT_TRUE(folder.gptq().has_value()) << label;
        EXPECT_EQ(folder.gptq()->bits, bits) << label;
        const ParameterCount hand = hand_count(json::parse(read_file(dir.file("dense/config.json"))));
        EXPECT_EQ(folder.parameters().total, hand.total) << label;
        EXPECT_EQ(folder.parameters().non_embedding, hand.non_embedding) << label;
      }
    }
  }
}

TEST(ModelFolder, MissingOrBadFilesAreErrorsNamingTheFile) {
  test::ScratchDir dir("folder_errors");
  EXPECT_THROW(ModelFolder::open(dir.file("absent")), Error);
  write_random_checkpoint(dir.file("m"), tiny_config_json("LlamaForCausalLM"));
  json config = json::parse(read_file(dir.file("m/config.json")));
  config["quantization_config"] = {{"quant_method", "awq"}, {"bits", 4}};
  write_file_atomic(dir.file("m/config.json"), config.dump());
  try {
    ModelFolder::open(dir.file("m"));
    ADD_FAILURE() << "awq accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("awq"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qs
