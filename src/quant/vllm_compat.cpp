#include "quant/vllm_compat.h"

namespace qs {
namespace {

std::string shape_text(const VllmLinearShape& l) {
  return l.name + " [" + std::to_string(l.out_features) + " x " + std::to_string(l.in_features) + "]";
}

// Fraction(32, bits).numerator: the output-dimension multiple gptq.py asks for.
int64_t gptq_out_multiple(int bits) {
  int64_t a = 32, b = bits;
  while (b != 0) {  // gcd(32, bits)
    const int64_t t = a % b;
    a = b;
    b = t;
  }
  return 32 / a;
}

}  // namespace

VllmCompat vllm_compat(int bits, int group_size, bool sym, const std::vector<VllmLinearShape>& linears) {
  VllmCompat c;
  const int64_t out_multiple = gptq_out_multiple(bits);
  for (const auto& l : linears) {
    if (group_size > 0 && l.in_features % group_size != 0)
      c.gptq_problems.push_back(shape_text(l) + ": in_features is not a multiple of the group size " +
                                std::to_string(group_size));
    if (l.out_features % out_multiple != 0)
      c.gptq_problems.push_back(shape_text(l) + ": out_features is not a multiple of " + std::to_string(out_multiple) +
                                " (" + std::to_string(bits) + "-bit packing)");
  }
  if (bits != 4 && bits != 8) c.marlin_problems.push_back(std::to_string(bits) + " bits (Marlin: 4 or 8)");
  if (!sym) c.marlin_problems.push_back("asymmetric grid (Marlin: sym only)");
  if (group_size != -1 && group_size != 32 && group_size != 64 && group_size != 128)
    c.marlin_problems.push_back("group size " + std::to_string(group_size) + " (Marlin: -1, 32, 64, 128)");
  for (const auto& l : linears) {
    if (l.out_features % 64 != 0) c.marlin_problems.push_back(shape_text(l) + ": out_features % 64 != 0");
    if (l.in_features % 128 != 0) c.marlin_problems.push_back(shape_text(l) + ": in_features % 128 != 0");
    if (group_size > 0 && group_size < l.in_features && l.in_features % group_size != 0)
      c.marlin_problems.push_back(shape_text(l) + ": in_features % group size != 0");
  }
  return c;
}

}  // namespace qs
