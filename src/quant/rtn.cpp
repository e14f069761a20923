#include "quant/rtn.h"

#include <algorithm>
#include <vector>

#include "quant/gptq.h"
#include "quant/quant_grid.h"

namespace qs {

QuantizedLinear rtn_quantize(const float* weight, int64_t out_features, int64_t in_features, const QuantGrid& grid,
                             int group_size, const std::string& layer) {
  const int64_t out = out_features, in = in_features;
  const int group = check_layer_input(weight, out, in, grid, group_size, layer);
  std::vector<double> w(weight, weight + out * in);
  QuantizedLinear result = allocate_quantized_linear(out, in, grid.bits, group);
  const int64_t n_groups = result.n_groups();
  result.g_idx = sequential_g_idx(in, group);
  std::vector<double> scale(out), zero(out);
  for (int64_t g = 0; g < n_groups; ++g) {
    const int64_t begin = g * group, end = std::min<int64_t>(begin + group, in);
    find_grid_params(&w[begin], out, end - begin, in, grid, scale.data(), zero.data());
    for (int64_t o = 0; o < out; ++o) {
      result.scales[g * out + o] = scale[o];
      result.zeros[g * out + o] = static_cast<int32_t>(zero[o]);
      for (int64_t i = begin; i < end; ++i)
        result.codes[o * in + i] = static_cast<uint8_t>(quantize_code(w[o * in + i], scale[o], zero[o], grid.maxq()));
    }
  }
  return result;
}

}  // namespace qs
