#pragma once
// Shared plumbing of the task loaders: reading rows, typed field access with "file:line"
// errors, and the fail/skip policy for malformed rows.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/task_loaders.h"

namespace qs::rows {

// Runs `parse` for one row; a qs::Error is rethrown (Fail) or recorded and skipped (Skip).
void guarded(RowPolicy policy, LoadReport& report, const std::function<void()>& parse);

// Each non-blank line of a JSONL file parsed; `where` is "file:line".
void for_each_jsonl(const std::string& path, RowPolicy policy, LoadReport& report,
                    const std::function<void(const nlohmann::json& row, const std::string& where)>& visit);

std::string string_field(const nlohmann::json& row, const char* field, const std::string& where);
int64_t int_field(const nlohmann::json& row, const char* field, const std::string& where);
std::vector<std::string> strings_field(const nlohmann::json& row, const char* field, const std::string& where);
const nlohmann::json& object_field(const nlohmann::json& row, const char* field, const std::string& where);

// Throws unless 0 <= gold < n_choices (field named for the error).
int checked_gold(int64_t gold, size_t n_choices, const char* field, const std::string& where);

// Whole file as text with CRLF turned into LF (Python's universal newlines).
std::string read_text(const std::string& path);
// Whole bzip2-compressed file, decompressed; refused (qs::Error naming the file) past
// `max_bytes` decompressed, so a bzip2 bomb (~1e6-fold expansion) cannot fill memory.
// HellaSwag's full validation text is 12 MB.
constexpr size_t kMaxDecompressedBytes = size_t{1} << 30;  // 1 GiB
std::string read_bz2(const std::string& path, size_t max_bytes = kMaxDecompressedBytes);

}  // namespace qs::rows
