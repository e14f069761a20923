#include "quant/quant_method.h"

namespace qs {

std::string method_name(QuantMethod method) {
  switch (method) {
    case QuantMethod::Gptq: return "gptq";
    case QuantMethod::Rtn: return "rtn";
    case QuantMethod::Fp: break;
  }
  return "fp";
}

std::optional<QuantMethod> parse_method(const std::string& name) {
  for (QuantMethod method : {QuantMethod::Fp, QuantMethod::Gptq, QuantMethod::Rtn})
    if (name == method_name(method)) return method;
  return std::nullopt;
}

}  // namespace qs
