#include "io/quantization_config.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace qs {

QuantizationConfig find_quantization_config(const ModelConfig& config, const std::string& dir) {
  if (!config.quantization_config_json.empty()) {
    auto object = nlohmann::json::parse(config.quantization_config_json);
    require(object.is_object(), config.source, "quantization_config is not an object");
    return {config.quantization_config_json, config.source};
  }
  const std::string sidecar = dir + "/quantize_config.json";
  if (!std::filesystem::exists(sidecar)) return {};
  auto object = nlohmann::json::parse(read_file(sidecar), nullptr, false);
  require(!object.is_discarded() && object.is_object(), sidecar, "not a JSON object");
  return {object.dump(), sidecar};
}

std::optional<GptqFormat> parse_gptq_format(const QuantizationConfig& quantization) {
  if (!quantization.present()) return std::nullopt;
  const auto q = nlohmann::json::parse(quantization.json);
  const std::string& where = quantization.source;
  GptqFormat f;
  f.source = where;
  auto text = [&](const char* key, const char* fallback) {
    auto it = q.find(key);
    if (it == q.end() || it->is_null()) return std::string(fallback);
    require(it->is_string(), where, std::string("quantization_config '") + key + "' is not a string");
    return it->get<std::string>();
  };
  auto flag = [&](const char* key) {
    auto it = q.find(key);
    if (it == q.end() || it->is_null()) return false;
    require(it->is_boolean(), where, std::string("quantization_config '") + key + "' is not true/false");
    return it->get<bool>();
  };
  const std::string method = text("quant_method", "gptq");
  require(method == "gptq", where, "quant_method '" + method + "' is not supported (only gptq)");
  require(q.contains("bits") && q["bits"].is_number_integer(), where, "quantization_config has no integer 'bits'");
  f.bits = q["bits"].get<int>();
  require(f.bits == 2 || f.bits == 3 || f.bits == 4 || f.bits == 8, where,
          "unsupported GPTQ bits " + std::to_string(f.bits));
  auto group = q.find("group_size");
  if (group == q.end() || group->is_null()) {
    f.group_size = -1;
  } else {
    require(group->is_number_integer(), where, "quantization_config 'group_size' is not an integer");
    f.group_size = group->get<int>();
    require(f.group_size == -1 || f.group_size > 0, where,
            "group_size " + std::to_string(f.group_size) + " is neither -1 nor positive");
  }
  f.desc_act = flag("desc_act");
  f.sym = flag("sym");
  f.static_groups = flag("static_groups");
  const std::string format = text("checkpoint_format", "gptq");
  require(format == "gptq" || format == "gptq_v2", where,
          "checkpoint_format '" + format + "' is not supported (gptq or gptq_v2)");
  f.zero_offset = format == "gptq" ? 1 : 0;
  return f;
}

}  // namespace qs
