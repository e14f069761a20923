#include "eval/row_reader.h"

#include <bzlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "eval/text_util.h"

namespace qs::rows {

void guarded(RowPolicy policy, LoadReport& report, const std::function<void()>& parse) {
  ++report.rows_read;
  try {
    parse();
  } catch (const Error& e) {
    if (policy == RowPolicy::Fail) throw;
    ++report.rows_skipped;
    // The message may quote the row's bytes (a malformed JSON line, invalid UTF-8): escaped, so
    // that the results JSON can hold it.
    if (report.skipped.size() < 50) report.skipped.push_back(text::escape_invalid_utf8(e.what()));
  }
}

void for_each_jsonl(const std::string& path, RowPolicy policy, LoadReport& report,
                    const std::function<void(const nlohmann::json&, const std::string&)>& visit) {
  // Read line by line, so a device or FIFO (/dev/zero: one endless line) is refused up front;
  // every other data file goes through qs::read_file and its limits.
  std::error_code ec;
  require(!std::filesystem::exists(path, ec) || std::filesystem::is_regular_file(path, ec), path,
          "not a regular file (a pipe, FIFO, device or folder): task data is read from files only");
  std::ifstream in(path, std::ios::binary);
  require(in.good(), path, "cannot open");
  std::string line;
  int64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::string where = path + ":" + std::to_string(line_number);
    guarded(policy, report, [&] {
      nlohmann::json row;
      try {
        row = nlohmann::json::parse(line);
      } catch (const nlohmann::json::parse_error& e) {
        throw Error(where, std::string("malformed JSON: ") + e.what());
      }
      if (!row.is_object()) throw Error(where, "row is not a JSON object");
      visit(row, where);
    });
  }
}

namespace {
const nlohmann::json& field(const nlohmann::json& row, const char* name, const std::string& where) {
  auto it = row.find(name);
  if (it == row.end()) throw Error(where, std::string("field '") + name + "': missing");
  return *it;
}
}  // namespace

std::string string_field(const nlohmann::json& row, const char* name, const std::string& where) {
  const auto& value = field(row, name, where);
  if (!value.is_string()) throw Error(where, std::string("field '") + name + "': not a string");
  return value.get<std::string>();
}

int64_t int_field(const nlohmann::json& row, const char* name, const std::string& where) {
  const auto& value = field(row, name, where);
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    try {
      size_t used = 0;
      int64_t parsed = std::stoll(s, &used);
      if (used == s.size()) return parsed;
    } catch (const std::exception&) {
    }
  }
  throw Error(where, std::string("field '") + name + "': not an integer");
}

std::vector<std::string> strings_field(const nlohmann::json& row, const char* name, const std::string& where) {
  const auto& value = field(row, name, where);
  if (!value.is_array()) throw Error(where, std::string("field '") + name + "': not a list");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string()) throw Error(where, std::string("field '") + name + "': list item is not a string");
    out.push_back(item.get<std::string>());
  }
  if (out.empty()) throw Error(where, std::string("field '") + name + "': empty list");
  return out;
}

const nlohmann::json& object_field(const nlohmann::json& row, const char* name, const std::string& where) {
  const auto& value = field(row, name, where);
  if (!value.is_object()) throw Error(where, std::string("field '") + name + "': not an object");
  return value;
}

int checked_gold(int64_t gold, size_t n_choices, const char* name, const std::string& where) {
  if (gold < 0 || static_cast<size_t>(gold) >= n_choices)
    throw Error(where, std::string("field '") + name + "': label " + std::to_string(gold) + " out of range for " +
                           std::to_string(n_choices) + " choices");
  return static_cast<int>(gold);
}

std::string read_text(const std::string& path) {
  std::string raw = qs::read_file(path);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    out += raw[i];
  }
  return out;
}

std::string read_bz2(const std::string& path, size_t max_bytes) {
  std::string compressed = qs::read_file(path);
  bz_stream stream{};
  require(BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK, path, "bzip2 init failed");
  std::string out;
  std::vector<char> buffer(1 << 20);
  stream.next_in = compressed.data();
  stream.avail_in = static_cast<unsigned>(compressed.size());
  int status = BZ_OK;
  while (status == BZ_OK) {
    stream.next_out = buffer.data();
    stream.avail_out = static_cast<unsigned>(buffer.size());
    status = BZ2_bzDecompress(&stream);
    out.append(buffer.data(), buffer.size() - stream.avail_out);
    if (out.size() > max_bytes) {
      BZ2_bzDecompressEnd(&stream);
      throw Error(path, "decompresses to more than " + std::to_string(max_bytes) +
                            " bytes; refused (a benchmark file is far smaller)");
    }
    if (status == BZ_OK && stream.avail_in == 0 && stream.avail_out != 0) break;  // truncated input
  }
  BZ2_bzDecompressEnd(&stream);
  require(status == BZ_STREAM_END, path, "corrupt or truncated bzip2 data");
  return out;
}

}  // namespace qs::rows
