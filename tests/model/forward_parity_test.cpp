// Logits of every supported architecture against tests/reference/torch_forward.py (float64
// PyTorch written from the Hugging Face modeling code). Tolerance: max|Δ| <= 1e-4 x max|logit|.
#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "io/random_checkpoint.h"
#include "model/reference_support.h"
#include "model/transformer.h"
#include "test_support.h"

namespace qs {
namespace {

struct ArchCase {
  const char* name;
  const char* template_config;  // shared/hf config shrunk, or "" for tiny_config_json
  const char* architecture;
};

std::string config_for(const ArchCase& c) {
  TinyShape shape;
  if (std::string(c.template_config).empty()) return tiny_config_json(c.architecture, shape);
  return shrink_config_json(read_file(test::shared_file(c.template_config)), shape);
}

class ForwardParity : public ::testing::TestWithParam<std::tuple<ArchCase, DType>> {};

TEST_P(ForwardParity, LogitsMatchTheTorchReference) {
  const auto& [arch, dtype] = GetParam();
  test::ScratchDir dir(std::string("parity_") + arch.name + "_" + std::string(dtype_name(dtype)));
  write_random_checkpoint(dir.path(), config_for(arch), {.dtype = dtype, .seed = 7});
  auto model = Transformer::load(dir.path());
  // Two sequences of different lengths in one batch; 150 > the attention query block (128).
  const std::vector<std::vector<int32_t>> sequences{test::random_tokens(150, model->config().vocab_size, 1),
                                                    test::random_tokens(23, model->config().vocab_size, 2)};
  const double error = test::relative_max_error(test::batch_logits(*model, sequences),
                                                test::reference_logits(dir.path(), sequences, dir.path()));
  EXPECT_LE(error, 1e-4) << arch.name;
  std::printf("[parity] %s %s: max|dlogit|/max|logit| = %.3g\n", arch.name, std::string(dtype_name(dtype)).c_str(), error);
}

const ArchCase kArchitectures[] = {
    {"llama3_2", "hf/meta-llama-Llama-3.2-1B/config.json", "LlamaForCausalLM"},  // llama3 rope scaling, tied
    {"qwen2_5", "hf/Qwen-Qwen2.5-0.5B/config.json", "Qwen2ForCausalLM"},  // q/k/v biases
    {"qwen3", "hf/Qwen-Qwen3-0.6B/config.json", "Qwen3ForCausalLM"},      // q/k norms, head_dim
    {"qwen3_8b", "hf/Qwen-Qwen3-8B/config.json", "Qwen3ForCausalLM"},     // untied
    {"neox", "", "GPTNeoXForCausalLM"},  // parallel residual, partial rotary, LayerNorm, GELU
};

INSTANTIATE_TEST_SUITE_P(Architectures, ForwardParity,
                         ::testing::Combine(::testing::ValuesIn(kArchitectures),
                                            ::testing::Values(DType::F32, DType::BF16)),
                         [](const auto& param_info) {
                           return std::string(std::get<0>(param_info.param).name) + "_" +
                                  std::string(dtype_name(std::get<1>(param_info.param)));
                         });
// F16 storage goes through the same widening path; one architecture covers its conversion.
INSTANTIATE_TEST_SUITE_P(HalfPrecision, ForwardParity,
                         ::testing::Combine(::testing::Values(kArchitectures[3]), ::testing::Values(DType::F16)),
                         [](const auto& param_info) {
                           return std::string(std::get<0>(param_info.param).name) + "_" +
                                  std::string(dtype_name(std::get<1>(param_info.param)));
                         });

}  // namespace
}  // namespace qs
