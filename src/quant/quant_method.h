#pragma once
// The quantizer of a model or a grid point. Its name ("fp", "gptq", "rtn") is what the command
// line, study files, point ids, result files, exported configs and the store write; inside the
// code it is this enum (names are parsed and printed only at those boundaries).
#include <optional>
#include <string>

namespace qs {

enum class QuantMethod { Fp, Gptq, Rtn };  // Fp: the unquantized baseline
std::string method_name(QuantMethod method);
std::optional<QuantMethod> parse_method(const std::string& name);  // std::nullopt: not a method name

}  // namespace qs
