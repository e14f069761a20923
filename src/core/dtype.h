#pragma once
// Element types of checkpoint tensors, named as safetensors names them.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace qs {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);           // "F32", "BF16", ...
std::optional<DType> parse_dtype(std::string_view name);

}  // namespace qs
