#pragma once
// The safetensors format (https://huggingface.co/docs/safetensors): 8-byte little-endian header
// length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
// {str: str}}, then the data section. Offsets are relative to the data section.
//
// Reading maps the file and hands out zero-copy views; the header is validated in full before
// any tensor is used (a lying header is a qs::Error naming the file and the tensor).
// Writing is atomic (temporary file + rename) and streams tensor data, so multi-GB random
// checkpoints never need a second in-memory copy.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"

namespace qs {

inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull << 20;  // 100 MB, as the reference loader

// One tensor entry of a header: where its bytes lie inside the data section.
struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data section
  uint64_t end = 0;
  int64_t numel() const;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> tensors;  // in file order of their offsets
  std::map<std::string, std::string> metadata;
  uint64_t data_offset = 0;  // 8 + header length
};

// Validates and parses the header of a whole file image `bytes` (needs the full size to check
// offsets). `where` names the file in errors. Throws qs::Error on any inconsistency.
SafetensorsHeader parse_safetensors_header(std::span<const uint8_t> bytes, const std::string& where);

// A zero-copy view of one tensor in a mapped file.
struct TensorView {
  std::string name;
  std::string file;  // path of the file holding it, for error messages
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t n_bytes = 0;
  int64_t numel() const;
  std::string shape_string() const;  // "[2048, 128]"
  // Widens elements [begin, begin + count) of an F32/BF16/F16 tensor into dst; other dtypes throw.
  void to_f32(int64_t begin, int64_t count, float* dst) const;
  std::vector<float> to_f32() const;
};

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);  // maps and validates; throws qs::Error
  const std::string& path() const { return file_.path(); }
  size_t file_size() const { return file_.size(); }
  // The JSON header as stored (validated by the constructor), e.g. for a fingerprint.
  std::string_view header_text() const;
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* find(const std::string& name) const;  // nullptr when absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  MappedFile file_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
  uint64_t header_length_ = 0;
  // Tensors whose offset is not a multiple of their element size (headers not padded to 8
  // bytes, as very old writers did) are copied here once so every view is aligned.
  std::vector<std::unique_ptr<uint64_t[]>> realigned_;
};

// A tensor to write: dtype, shape, and a function that fills its bytes (n_bytes of them).
struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::function<void(uint8_t* dst, size_t n_bytes)> fill;
};
// Convenience: a tensor whose bytes are already in memory (copied at write time).
TensorToWrite tensor_from_bytes(std::string name, DType dtype, std::vector<int64_t> shape,
                                std::span<const uint8_t> bytes);
// Convenience: fp32 values converted to `dtype` (F32, BF16 or F16) at write time.
TensorToWrite tensor_from_f32(std::string name, DType dtype, std::vector<int64_t> shape,
                              std::vector<float> values);

// Writes tensors in the given order, header padded to 8 bytes. Atomic: the file appears
// complete or not at all. Throws qs::Error naming the path.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace qs
