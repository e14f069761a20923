#pragma once
// Loads any model folder the CLI is pointed at: a dense Hugging Face checkpoint, or a GPTQ
// checkpoint (config.json "quantization_config" with quant_method "gptq", or a
// quantize_config.json beside it) written by us or by AutoGPTQ/GPTQModel/optimum (TheBloke
// layout). GPTQ linears are read from `<prefix>.qweight/.qzeros/.scales/.g_idx` into GptqWeight;
// everything else loads as the engine loads it.
//
//   auto model = qs::load_model(dir);                 // dense or GPTQ, whichever dir holds
//   auto info = qs::gptq_format_of(dir);              // std::nullopt for a dense folder
#include <memory>
#include <optional>
#include <string>

#include "model/transformer.h"
#include "model/weight_factory.h"

namespace qs {

struct GptqFormat {
  int bits = 4;
  int group_size = 128;  // -1: per channel
  bool desc_act = false;
  bool sym = false;
  bool static_groups = false;
  int zero_offset = 1;   // "gptq" (v1) stores zero - 1; "gptq_v2" stores zero
  std::string source;    // the file the settings came from
};

// Reads quantization_config from dir/config.json, else dir/quantize_config.json. std::nullopt
// for a dense folder; qs::Error for another quant_method (awq, ...), unsupported bits or a
// checkpoint_format other than gptq / gptq_v2.
std::optional<GptqFormat> gptq_format_of(const std::string& dir);

// A WeightFactory that reads GPTQ tensors where `<prefix>.qweight` exists and falls back to the
// dense factory otherwise (unquantized layers of a partly quantized model).
WeightFactory gptq_weight_factory(const GptqFormat& format);

// Dense or GPTQ, detected from the folder.
std::unique_ptr<Transformer> load_model(const std::string& dir);

}  // namespace qs
