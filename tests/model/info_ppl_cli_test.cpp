// `quantscale info` and `quantscale ppl` end to end: outputs, and bad input giving exit != 0
// with the file and item named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "model/perplexity.h"
#include "model/transformer.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

nlohmann::json json_output(const test::CommandResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return nlohmann::json::parse(result.output.substr(result.output.find('{')));
}

TEST(InfoCommand, ReportsConfigsAndCheckpoints) {
  auto qwen = json_output(test::run_quantscale("info --json " + test::shared_file("hf/Qwen-Qwen3-0.6B/config.json")));
  EXPECT_EQ(qwen["parameters_total"], 596049920);
  EXPECT_EQ(qwen["parameters_non_embedding"], 440467456);
  EXPECT_EQ(qwen["architecture"], "Qwen3ForCausalLM");
  EXPECT_EQ(qwen["kv_heads"], 8);

  const std::string tiny = test::shared_file("models/tinystories-656k");
  auto info = json_output(test::run_quantscale("info --json " + tiny));
  EXPECT_EQ(info["layers"], 2);
  EXPECT_EQ(info["dtypes"], nlohmann::json::array({"BF16"}));
  EXPECT_EQ(info["file_bytes"], std::filesystem::file_size(tiny + "/model.safetensors"));
  EXPECT_DOUBLE_EQ(info["linear_bits_per_weight"].get<double>(), 16.0);
  // Tied: 2048 x 128 embedding once + 2 layers x (q 128x128, k,v 64x128, o 128x128, 3 x 384x128, 2 norms) + norm.
  const int64_t layer = 128 * 128 * 2 + 64 * 128 * 2 + 3 * 384 * 128 + 2 * 128;
  EXPECT_EQ(info["parameters_total"], 2048 * 128 + 2 * layer + 128);

  test::CommandResult text = test::run_quantscale("info " + tiny);
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("LlamaForCausalLM"), std::string::npos);
  EXPECT_NE(text.output.find("non-embedding"), std::string::npos);

  test::CommandResult gpt2 = test::run_quantscale("info " + test::shared_file("hf/openai-community-gpt2/config.json"));
  EXPECT_NE(gpt2.exit_code, 0);
  EXPECT_NE(gpt2.output.find("unsupported architecture 'GPT2LMHeadModel'"), std::string::npos) << gpt2.output;
}

TEST(PplCommand, MatchesTheLibraryAndRejectsBadInput) {
  const std::string tiny = test::shared_file("models/tinystories-656k");
  const std::string wiki = test::shared_file("text/wikitext2/wiki.test.raw");
  auto result = json_output(test::run_quantscale("ppl " + tiny + " --text " + wiki + " --ctx 256 --limit-tokens 1000 --json"));
  std::vector<int32_t> tokens = Tokenizer::load(tiny)->encode(read_file(wiki), true);
  tokens.resize(1000);
  const PerplexityResult expected = strided_perplexity(*Transformer::load(tiny), tokens, 256, 256);
  EXPECT_NEAR(result["ppl"].get<double>(), expected.ppl(), 1e-9 * expected.ppl());
  EXPECT_EQ(result["scored_tokens"], expected.n_scored);
  EXPECT_EQ(result["tokens"], 1000);

  test::ScratchDir dir("ppl_cli");
  write_file_atomic(dir.file("empty.txt"), "\n \r\n");
  test::CommandResult empty = test::run_quantscale("ppl " + tiny + " --text " + dir.file("empty.txt"));
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.output.find("empty text"), std::string::npos) << empty.output;
  EXPECT_NE(empty.output.find("empty.txt"), std::string::npos) << empty.output;

  // A truncated checkpoint: the error names the file and the tensor cut off.
  std::filesystem::create_directories(dir.file("cut"));
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"})
    std::filesystem::copy_file(tiny + "/" + f, dir.file("cut/") + f);
  std::string bytes = read_file(tiny + "/model.safetensors");
  std::ofstream(dir.file("cut/model.safetensors"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  test::CommandResult cut = test::run_quantscale("ppl " + dir.file("cut") + " --text " + wiki + " --limit-tokens 100");
  EXPECT_NE(cut.exit_code, 0);
  EXPECT_NE(cut.output.find("model.safetensors"), std::string::npos) << cut.output;
  EXPECT_NE(cut.output.find("past the end"), std::string::npos) << cut.output;
  test::CommandResult info_cut = test::run_quantscale("info " + dir.file("cut"));
  EXPECT_NE(info_cut.exit_code, 0);
}

}  // namespace
}  // namespace qs
