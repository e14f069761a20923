#pragma once
// What a results file records about the evaluated model, from its folder (io/model_folder.h):
// architecture, and for a GPTQ folder its quantization (bits, group size, calibration size,
// method, act-order, symmetric) from `quantization_config` (+ quantize_config.json); method and
// calibration come from its "meta" object when the quantizer wrote one (quantscale, GPTQModel).
#include <nlohmann/json.hpp>
#include <string>

#include "io/model_folder.h"

namespace qs {

// {"path", "architecture", "quantized", "quantization": {"method", "bits", "group_size",
//  "calib_samples", "seq_len", "quantizer", "desc_act", "sym", "damp_percent",
//  "quantization_config": {...}}}.
// Keys the checkpoint does not state are null.
nlohmann::json describe_model(const ModelFolder& folder);

}  // namespace qs
