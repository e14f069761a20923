// libFuzzer target: config.json parsing, and the shapes / parameter counts derived from an
// accepted config, must either succeed or throw qs::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "io/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const qs::ModelConfig config =
        qs::parse_model_config(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz/config.json");
    const qs::ParameterCount count = config.parameter_count();
    if (count.total < count.non_embedding || count.non_embedding < 0) __builtin_trap();
  } catch (const qs::Error&) {
  }
  return 0;
}
