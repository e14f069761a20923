#pragma once
// Which exported linears vLLM's GPTQ kernels can load, from the checks vLLM runs when it builds
// a layer (vllm-project/vllm, vllm/model_executor/layers/quantization/):
//   gptq.py, GPTQLinearMethod.create_weights (the kernel every GPTQ checkpoint falls back to):
//     in_features % group_size == 0 (when group_size != -1),
//     out_features % Fraction(32, bits).numerator == 0  (16, 32, 8, 4 for 2, 3, 4, 8 bits).
//   utils/marlin_utils.py (gptq_marlin, the fast path vLLM picks by itself when it can):
//     bits 4 or 8 and sym (types uint4b8 / uint8b128: no runtime zero point),
//     group_size in {-1, 32, 64, 128}, out_features % 64 == 0, in_features % 128 == 0,
//     in_features % group_size == 0 (when group_size < in_features).
// Shapes are per tensor-parallel rank in vLLM; these checks are for one rank (no TP).
#include <cstdint>
#include <string>
#include <vector>

namespace qs {

struct VllmLinearShape {
  std::string name;  // "self_attn.q_proj" (the role; every layer has the same shape)
  int64_t out_features = 0, in_features = 0;
};

struct VllmCompat {
  std::vector<std::string> gptq_problems;    // why vLLM's gptq kernel refuses a linear (empty: loads)
  std::vector<std::string> marlin_problems;  // why gptq_marlin is not used (vLLM falls back to gptq)
};

VllmCompat vllm_compat(int bits, int group_size, bool sym, const std::vector<VllmLinearShape>& linears);

}  // namespace qs
