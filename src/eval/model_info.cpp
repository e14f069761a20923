#include "eval/model_info.h"

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"

namespace qs {
namespace {

using nlohmann::json;

json parse_json_file(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::parse_error& e) {
    throw Error(path, std::string("malformed JSON: ") + e.what());
  }
}

json first_of(const json& object, std::initializer_list<const char*> keys) {
  for (const char* key : keys)
    if (object.is_object() && object.contains(key)) return object[key];
  return nullptr;
}

}  // namespace

json describe_model_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  json info = {{"path", dir}, {"architecture", nullptr}, {"quantized", false}};
  std::string config_path = (fs::path(dir) / "config.json").string();
  if (!fs::exists(config_path)) return info;
  json config = parse_json_file(config_path);
  if (config.contains("architectures") && config["architectures"].is_array() && !config["architectures"].empty())
    info["architecture"] = config["architectures"][0];
  json quantization = config.value("quantization_config", json(nullptr));
  std::string sidecar = (fs::path(dir) / "quantize_config.json").string();
  if (quantization.is_null() && fs::exists(sidecar)) quantization = parse_json_file(sidecar);
  if (!quantization.is_object()) return info;
  // quantscale's own record of the run (calibration size, RTN vs GPTQ), when present.
  json extra = config.value("quantscale", json::object());
  info["quantized"] = true;
  info["quantization"] = {
      {"method", first_of(extra, {"method"}).is_null() ? first_of(quantization, {"quant_method", "method"}) : extra["method"]},
      {"bits", first_of(quantization, {"bits", "w_bit"})},
      {"group_size", first_of(quantization, {"group_size", "q_group_size"})},
      {"calib_samples", first_of(extra, {"calib_samples", "calibration_samples"}).is_null()
                            ? first_of(quantization, {"calib_samples", "calibration_samples", "nsamples", "n_samples"})
                            : first_of(extra, {"calib_samples", "calibration_samples"})},
      {"desc_act", first_of(quantization, {"desc_act"})},
      {"sym", first_of(quantization, {"sym"})},
      {"damp_percent", first_of(quantization, {"damp_percent"})},
      {"quantization_config", quantization}};
  return info;
}

}  // namespace qs
