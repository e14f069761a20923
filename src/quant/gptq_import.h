#pragma once
// Loads any model folder the CLI is pointed at: a dense Hugging Face checkpoint, or a GPTQ
// checkpoint (config.json "quantization_config" with quant_method "gptq", or a
// quantize_config.json beside it) written by us or by AutoGPTQ/GPTQModel/optimum (TheBloke
// layout). GPTQ linears are read from `<prefix>.qweight/.qzeros/.scales/.g_idx` into GptqWeight;
// everything else loads as the engine loads it.
//
//   auto model = qs::load_model(dir);                 // dense or GPTQ, whichever dir holds
//   auto model = qs::load_model(ModelFolder::open(dir));  // a folder already opened
//   ModelFolder::open(dir).gptq();                    // its GPTQ settings, std::nullopt if dense
#include <memory>
#include <optional>
#include <string>

#include "io/model_folder.h"
#include "io/quantization_config.h"
#include "model/transformer.h"
#include "model/weight_factory.h"

namespace qs {

// A WeightFactory that reads GPTQ tensors where `<prefix>.qweight` exists and falls back to the
// dense factory otherwise (unquantized layers of a partly quantized model).
WeightFactory gptq_weight_factory(const GptqFormat& format);

// Dense or GPTQ, detected from the folder (opened once: io/model_folder.h).
std::unique_ptr<Transformer> load_model(const std::string& dir);
std::unique_ptr<Transformer> load_model(ModelFolder folder);

}  // namespace qs
