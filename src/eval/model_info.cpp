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
  // The quantizer's record of the run (GPTQModel's and quantscale's "meta" object: method,
  // calibration size), when present.
  json meta = quantization.value("meta", json::object());
  auto stated = [&](std::initializer_list<const char*> meta_keys, std::initializer_list<const char*> keys) {
    json value = first_of(meta, meta_keys);
    return value.is_null() ? first_of(quantization, keys) : value;
  };
  info["quantized"] = true;
  info["quantization"] = {
      {"method", stated({"method"}, {"quant_method", "method"})},
      {"bits", first_of(quantization, {"bits", "w_bit"})},
      {"group_size", first_of(quantization, {"group_size", "q_group_size"})},
      {"calib_samples", stated({"calib_samples"}, {"calib_samples", "calibration_samples", "nsamples", "n_samples"})},
      {"seq_len", stated({"seq_len"}, {"seq_len", "seqlen"})},
      {"quantizer", first_of(meta, {"quantizer"})},
      {"desc_act", first_of(quantization, {"desc_act"})},
      {"sym", first_of(quantization, {"sym"})},
      {"damp_percent", first_of(quantization, {"damp_percent"})},
      {"quantization_config", quantization}};
  return info;
}

}  // namespace qs
