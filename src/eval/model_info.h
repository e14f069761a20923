#pragma once
// What a results file records about the evaluated model, read from its folder's config.json:
// architecture, and for a GPTQ folder its quantization (bits, group size, calibration size,
// method, act-order, symmetric) from `quantization_config` (+ quantize_config.json); method and
// calibration come from its "meta" object when the quantizer wrote one (quantscale, GPTQModel).
#include <nlohmann/json.hpp>
#include <string>

namespace qs {

// {"path", "architecture", "quantized", "quantization": {"method", "bits", "group_size",
//  "calib_samples", "seq_len", "quantizer", "desc_act", "sym", "damp_percent",
//  "quantization_config": {...}}}.
// Keys the checkpoint does not state are null. Throws qs::Error for an unreadable config.json.
nlohmann::json describe_model_dir(const std::string& dir);

}  // namespace qs
