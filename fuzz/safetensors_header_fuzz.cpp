// libFuzzer target: the safetensors header parser must reject any byte string with a qs::Error
// (never crash, overflow or read out of bounds). Input: a whole file image.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    qs::SafetensorsHeader header = qs::parse_safetensors_header({data, size}, "fuzz.safetensors");
    // Accepted headers must describe tensors inside the buffer.
    for (const auto& tensor : header.tensors)
      if (header.data_offset + tensor.end > size) __builtin_trap();
  } catch (const qs::Error&) {
  }
  return 0;
}
