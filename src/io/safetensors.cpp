#include "io/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/half.h"

namespace qs {
namespace {

using json = nlohmann::json;

uint64_t read_le_u64(const uint8_t* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

int64_t checked_numel(const std::vector<int64_t>& shape, const std::string& where) {
  int64_t count = 1;
  for (int64_t dim : shape)
    if (__builtin_mul_overflow(count, dim, &count)) throw Error(where, "shape element count overflows");
  return count;
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

SafetensorsEntry parse_entry(const std::string& name, const json& value, uint64_t data_bytes,
                             const std::string& file) {
  const std::string where = file + ": tensor '" + name + "'";
  require(value.is_object(), where, "header entry is not an object");
  auto dtype_it = value.find("dtype");
  require(dtype_it != value.end() && dtype_it->is_string(), where, "missing string 'dtype'");
  auto dtype = parse_dtype(dtype_it->get<std::string>());
  require(dtype.has_value(), where, "unknown dtype '" + dtype_it->get<std::string>() + "'");
  SafetensorsEntry entry;
  entry.name = name;
  entry.dtype = *dtype;
  auto shape_it = value.find("shape");
  require(shape_it != value.end() && shape_it->is_array(), where, "missing array 'shape'");
  for (const auto& dim : *shape_it) {
    require(dim.is_number_unsigned() || (dim.is_number_integer() && dim.get<int64_t>() >= 0), where,
            "shape entries must be non-negative integers");
    require(dim.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX), where, "shape entry too large");
    entry.shape.push_back(dim.get<int64_t>());
  }
  auto offsets_it = value.find("data_offsets");
  require(offsets_it != value.end() && offsets_it->is_array() && offsets_it->size() == 2, where,
          "'data_offsets' must be [begin, end]");
  for (const auto& offset : *offsets_it)
    require(offset.is_number_unsigned() || (offset.is_number_integer() && offset.get<int64_t>() >= 0), where,
            "data_offsets must be non-negative integers");
  entry.begin = (*offsets_it)[0].get<uint64_t>();
  entry.end = (*offsets_it)[1].get<uint64_t>();
  require(entry.begin <= entry.end, where, "data_offsets begin > end");
  require(entry.end <= data_bytes, where,
          "data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
              ") run past the end of the data section (" + std::to_string(data_bytes) + " bytes)");
  int64_t numel = checked_numel(entry.shape, where);
  uint64_t expected = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(numel), dtype_size(entry.dtype), &expected))
    throw Error(where, "byte size overflows");
  require(expected == entry.end - entry.begin, where,
          "dtype " + std::string(dtype_name(entry.dtype)) + " x shape " + shape_to_string(entry.shape) + " = " +
              std::to_string(expected) + " bytes, but data_offsets span " +
              std::to_string(entry.end - entry.begin));
  return entry;
}

}  // namespace

int64_t SafetensorsEntry::numel() const { return checked_numel(shape, name); }

SafetensorsHeader parse_safetensors_header(std::span<const uint8_t> bytes, const std::string& where) {
  require(bytes.size() >= 8, where, "file too small for a safetensors header (" + std::to_string(bytes.size()) + " bytes)");
  const uint64_t header_bytes = read_le_u64(bytes.data());
  require(header_bytes <= kMaxSafetensorsHeaderBytes, where,
          "header length " + std::to_string(header_bytes) + " exceeds the 100 MB limit");
  require(header_bytes <= bytes.size() - 8, where,
          "header length " + std::to_string(header_bytes) + " runs past the end of the file (" +
              std::to_string(bytes.size()) + " bytes): truncated?");
  const char* text = reinterpret_cast<const char*>(bytes.data() + 8);
  json header = json::parse(text, text + header_bytes, nullptr, /*allow_exceptions=*/false);
  require(!header.is_discarded(), where, "header is not valid JSON");
  require(header.is_object(), where, "header is not a JSON object");

  SafetensorsHeader result;
  result.data_offset = 8 + header_bytes;
  const uint64_t data_bytes = bytes.size() - result.data_offset;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      require(it->is_object(), where, "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        require(m->is_string(), where, "__metadata__ value '" + m.key() + "' is not a string");
        result.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    result.tensors.push_back(parse_entry(it.key(), it.value(), data_bytes, where));
  }
  std::sort(result.tensors.begin(), result.tensors.end(),
            [](const auto& a, const auto& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  for (size_t i = 1; i < result.tensors.size(); ++i) {
    const auto& previous = result.tensors[i - 1];
    const auto& current = result.tensors[i];
    require(current.begin >= previous.end, where,
            "tensors '" + previous.name + "' and '" + current.name + "' overlap in the data section");
  }
  return result;
}

int64_t TensorView::numel() const { return checked_numel(shape, file + ": " + name); }

std::string TensorView::shape_string() const { return shape_to_string(shape); }

void TensorView::to_f32(int64_t begin, int64_t count, float* dst) const {
  require(begin >= 0 && count >= 0 && begin + count <= numel(), file + ": tensor '" + name + "'",
          "element range out of bounds");
  switch (dtype) {
    case DType::F32:
      std::memcpy(dst, data + begin * 4, static_cast<size_t>(count) * 4);
      return;
    case DType::BF16:
      bf16_to_f32(reinterpret_cast<const uint16_t*>(data) + begin, dst, static_cast<size_t>(count));
      return;
    case DType::F16:
      fp16_to_f32(reinterpret_cast<const uint16_t*>(data) + begin, dst, static_cast<size_t>(count));
      return;
    default:
      throw Error(file + ": tensor '" + name + "'",
                  "dtype " + std::string(dtype_name(dtype)) + " is not a floating-point weight type (F32/BF16/F16)");
  }
}

std::vector<float> TensorView::to_f32() const {
  std::vector<float> values(static_cast<size_t>(numel()));
  to_f32(0, numel(), values.data());
  return values;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(path) {
  SafetensorsHeader header = parse_safetensors_header({file_.data(), file_.size()}, path);
  metadata_ = std::move(header.metadata);
  header_length_ = header.data_offset - 8;
  tensors_.reserve(header.tensors.size());
  for (auto& entry : header.tensors) {
    TensorView view;
    view.name = std::move(entry.name);
    view.file = path;
    view.dtype = entry.dtype;
    view.shape = std::move(entry.shape);
    view.data = file_.data() + header.data_offset + entry.begin;
    view.n_bytes = entry.end - entry.begin;
    if (reinterpret_cast<uintptr_t>(view.data) % dtype_size(view.dtype) != 0) {
      realigned_.push_back(std::make_unique<uint64_t[]>((view.n_bytes + 7) / 8));
      std::memcpy(realigned_.back().get(), view.data, view.n_bytes);
      view.data = reinterpret_cast<const uint8_t*>(realigned_.back().get());
    }
    tensors_.push_back(std::move(view));
  }
}

std::string_view SafetensorsFile::header_text() const {
  // Bytes 8 .. data_offset: the constructor checked the length against the file size.
  return {reinterpret_cast<const char*>(file_.data()) + 8, static_cast<size_t>(header_length_)};
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  for (const auto& tensor : tensors_)
    if (tensor.name == name) return &tensor;
  return nullptr;
}

TensorToWrite tensor_from_bytes(std::string name, DType dtype, std::vector<int64_t> shape,
                                std::span<const uint8_t> bytes) {
  return {std::move(name), dtype, std::move(shape), [bytes](uint8_t* dst, size_t n_bytes) {
            std::memcpy(dst, bytes.data(), std::min(n_bytes, bytes.size()));
          }};
}

TensorToWrite tensor_from_f32(std::string name, DType dtype, std::vector<int64_t> shape, std::vector<float> values) {
  auto shared = std::make_shared<std::vector<float>>(std::move(values));
  return {std::move(name), dtype, std::move(shape), [shared, dtype](uint8_t* dst, size_t n_bytes) {
            const auto& v = *shared;
            if (dtype == DType::F32) {
              std::memcpy(dst, v.data(), std::min(n_bytes, v.size() * 4));
              return;
            }
            auto* out = reinterpret_cast<uint16_t*>(dst);
            for (size_t i = 0; i < v.size() && 2 * i < n_bytes; ++i)
              out[i] = dtype == DType::BF16 ? f32_to_bf16(v[i]) : f32_to_fp16(v[i]);
          }};
}

namespace {
// A file written to a temporary name and renamed into place when complete.
class AtomicWriter {
 public:
  explicit AtomicWriter(const std::string& path) : path_(path), temp_(path + ".tmp." + std::to_string(::getpid())) {
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(path_, std::string("cannot create temporary file: ") + std::strerror(errno));
  }
  ~AtomicWriter() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(temp_.c_str());
    }
  }
  void write(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (n > 0) {
      ssize_t written = ::write(fd_, p, n);
      if (written < 0) {
        if (errno == EINTR) continue;
        throw Error(path_, std::string("write failed: ") + std::strerror(errno));
      }
      p += written;
      n -= static_cast<size_t>(written);
    }
  }
  void commit() {
    if (::fsync(fd_) != 0) throw Error(path_, std::string("fsync failed: ") + std::strerror(errno));
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0 || std::rename(temp_.c_str(), path_.c_str()) != 0) {
      int saved = errno;
      ::unlink(temp_.c_str());
      throw Error(path_, std::string("rename failed: ") + std::strerror(saved));
    }
  }

 private:
  std::string path_;
  std::string temp_;
  int fd_ = -1;
};
}  // namespace

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<size_t> sizes;
  uint64_t offset = 0;
  for (const auto& tensor : tensors) {
    require(!header.contains(tensor.name), path, "duplicate tensor name '" + tensor.name + "'");
    size_t n_bytes = static_cast<size_t>(checked_numel(tensor.shape, path + ": " + tensor.name)) * dtype_size(tensor.dtype);
    header[tensor.name] = {{"dtype", dtype_name(tensor.dtype)}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + n_bytes}}};
    sizes.push_back(n_bytes);
    offset += n_bytes;
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>((header_text.size() >> (8 * i)) & 0xffu);

  AtomicWriter writer(path);
  writer.write(length, 8);
  writer.write(header_text.data(), header_text.size());
  std::vector<uint8_t> buffer;
  for (size_t i = 0; i < tensors.size(); ++i) {
    buffer.assign(sizes[i], 0);
    if (tensors[i].fill) tensors[i].fill(buffer.data(), sizes[i]);
    writer.write(buffer.data(), buffer.size());
  }
  writer.commit();
}

}  // namespace qs
