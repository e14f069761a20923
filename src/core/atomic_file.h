#pragma once
// Write-then-rename: a reader sees either the old file or the complete new one, never a torn
// write (finished results are never lost).
#include <cstdint>
#include <string>
#include <string_view>

namespace qs {

// Writes `contents` to `path` atomically (temp file in the same folder, fsync, rename).
void write_file_atomic(const std::string& path, std::string_view contents);

// Inputs are read into memory whole, so every read is bounded (README.md, "Commands"): a
// regular file larger than `max_bytes` is refused before reading; a non-regular file (a pipe,
// FIFO, /dev/zero, /proc entry) is read up to kMaxStreamReadBytes and refused past it.
constexpr int64_t kMaxReadBytes = int64_t{4} << 30;          // 4 GiB
constexpr int64_t kMaxStreamReadBytes = int64_t{256} << 20;  // 256 MiB

// Reads a whole file; throws qs::Error naming the path (missing, a folder, past its limit).
std::string read_file(const std::string& path, int64_t max_bytes = kMaxReadBytes);

}  // namespace qs
