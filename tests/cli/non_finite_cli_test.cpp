// Issue 14 item 6 end to end: `ppl` on a GPTQ folder whose scales hold NaN, and `ppl` / `eval`
// on a checkpoint whose weights overflow the activations, exit 2 naming the tensor, token or
// document; they used to exit 0 with "perplexity nan" and accuracies computed from NaN.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "test_support.h"

namespace qs {
namespace {

namespace fs = std::filesystem;

// Overwrites every element of `tensor` in dir/model.safetensors with the 2-byte `value`
// (an F16 or BF16 bit pattern), through the file's own header (8-byte length + JSON).
void fill_tensor(const std::string& dir, const std::string& tensor, uint16_t value) {
  std::string bytes = read_file(dir + "/model.safetensors");
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  const auto header = nlohmann::json::parse(bytes.substr(8, header_length));
  ASSERT_TRUE(header.contains(tensor)) << tensor;
  const size_t begin = 8 + header_length + header[tensor]["data_offsets"][0].get<size_t>();
  const size_t end = 8 + header_length + header[tensor]["data_offsets"][1].get<size_t>();
  for (size_t at = begin; at + 2 <= end; at += 2) std::memcpy(&bytes[at], &value, 2);
  write_file_atomic(dir + "/model.safetensors", bytes);
}

// A copy of the shipped TinyStories folder (BF16, tied), to damage.
std::string copy_tiny(const test::ScratchDir& dir, const std::string& name) {
  const std::string copy = dir.file(name);
  fs::copy(test::shared_file("models/tinystories-656k"), copy, fs::copy_options::recursive);
  return copy;
}

TEST(NonFiniteCli, PplOfAGptqFolderWithNanScalesNamesTheTensor) {
  test::ScratchDir dir("non_finite_cli_gptq");
  const std::string tiny = copy_tiny(dir, "dense");
  const test::CommandResult quantized = test::run_quantscale("quantize " + tiny + " --method rtn --bits 4 --group-size 32 --out " +
                                                             dir.file("rtn"));
  ASSERT_EQ(quantized.exit_code, 0) << quantized.output;
  fill_tensor(dir.file("rtn"), "model.layers.1.mlp.up_proj.scales", 0x7e00);  // fp16 NaN
  const std::string wiki = test::shared_file("text/wikitext2/wiki.test.raw");
  const test::CommandResult ppl = test::run_quantscale("ppl " + dir.file("rtn") + " --text " + wiki + " --limit-tokens 200");
  EXPECT_EQ(ppl.exit_code, 2) << ppl.output;
  EXPECT_NE(ppl.output.find("model.layers.1.mlp.up_proj.scales"), std::string::npos) << ppl.output;
  EXPECT_EQ(ppl.output.find("perplexity nan"), std::string::npos) << ppl.output;
}

TEST(NonFiniteCli, OverflowingWeightsStopPplAndEvalNamingTokenAndDocument) {
  test::ScratchDir dir("non_finite_cli_dense");
  const std::string tiny = copy_tiny(dir, "huge");
  // Every o_proj weight of layer 0 at 1.7e38 (finite BF16): the layer's output overflows.
  fill_tensor(tiny, "model.layers.0.self_attn.o_proj.weight", 0x7f00);
  const std::string wiki = test::shared_file("text/wikitext2/wiki.test.raw");
  const test::CommandResult ppl = test::run_quantscale("ppl " + tiny + " --text " + wiki + " --limit-tokens 200");
  EXPECT_EQ(ppl.exit_code, 2) << ppl.output;
  EXPECT_NE(ppl.output.find("non-finite log-probability"), std::string::npos) << ppl.output;
  EXPECT_NE(ppl.output.find("for token 1 "), std::string::npos) << ppl.output;
  const test::CommandResult eval =
      test::run_quantscale("eval " + tiny + " --tasks arc_easy --limit 3 --out " + dir.file("results.json"));
  EXPECT_EQ(eval.exit_code, 2) << eval.output;
  EXPECT_NE(eval.output.find("task 'arc_easy', document "), std::string::npos) << eval.output;
  EXPECT_FALSE(fs::exists(dir.file("results.json")));
}

}  // namespace
}  // namespace qs
