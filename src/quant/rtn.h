#pragma once
// Round-to-nearest: every weight to the nearest point of its group's min/max grid (quant_grid.h),
// the same grid and grouping as GPTQ but no Hessian, no error feedback, no act-order — the
// baseline the paper compares GPTQ against.
#include <cstdint>
#include <string>

#include "quant/quant_grid.h"
#include "quant/quantized_linear.h"

namespace qs {

QuantizedLinear rtn_quantize(const float* weight, int64_t out_features, int64_t in_features, const QuantGrid& grid,
                             int group_size, const std::string& layer);

}  // namespace qs
