#pragma once
// The quantization a model folder states: config.json's "quantization_config" object, else a
// quantize_config.json beside it (AutoGPTQ / TheBloke layout), and its GPTQ settings. Read once
// by io/model_folder.h; the GPTQ import (quant/gptq_import.h) and the results' model record
// (eval/model_info.h) take it from there.
#include <optional>
#include <string>

#include "io/model_config.h"

namespace qs {

struct QuantizationConfig {
  std::string json;    // the object as written; "" for a dense folder
  std::string source;  // the file it came from, for error messages
  bool present() const { return !json.empty(); }
};

// `config`'s quantization_config, else dir/quantize_config.json (read only when config.json
// states none). qs::Error naming the file when the sidecar is not a JSON object.
QuantizationConfig find_quantization_config(const ModelConfig& config, const std::string& dir);

// GPTQ settings as AutoGPTQ/GPTQModel/optimum write them.
struct GptqFormat {
  int bits = 4;
  int group_size = 128;  // -1: per channel
  bool desc_act = false;
  bool sym = false;
  bool static_groups = false;
  int zero_offset = 1;   // "gptq" (v1) stores zero - 1; "gptq_v2" stores zero
  std::string source;    // the file the settings came from
};

// std::nullopt for a dense folder; qs::Error for another quant_method (awq, ...), unsupported
// bits or a checkpoint_format other than gptq / gptq_v2.
std::optional<GptqFormat> parse_gptq_format(const QuantizationConfig& quantization);

}  // namespace qs
