#pragma once
// Write-then-rename: a reader sees either the old file or the complete new one, never a torn
// write (finished results are never lost).
#include <string>
#include <string_view>

namespace qs {

// Writes `contents` to `path` atomically (temp file in the same folder, fsync, rename).
void write_file_atomic(const std::string& path, std::string_view contents);

// Reads a whole file; throws qs::Error naming the path.
std::string read_file(const std::string& path);

}  // namespace qs
