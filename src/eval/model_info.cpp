#include "eval/model_info.h"

namespace qs {
namespace {

using nlohmann::json;

json first_of(const json& object, std::initializer_list<const char*> keys) {
  for (const char* key : keys)
    if (object.is_object() && object.contains(key)) return object[key];
  return nullptr;
}

}  // namespace

json describe_model(const ModelFolder& folder) {
  json info = {{"path", folder.dir()}, {"architecture", folder.config().architecture}, {"quantized", false}};
  if (!folder.quantization().present()) return info;
  const json quantization = json::parse(folder.quantization().json);
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
