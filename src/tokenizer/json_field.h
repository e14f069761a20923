#pragma once
// Typed, path-tracking access to a parsed tokenizer JSON file: every failure is a qs::Error naming
// the file and the field ("model.merges[12]"), never a raw nlohmann exception.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qs::tokenizer_json {

class Field {
 public:
  Field(const nlohmann::json& value, std::string file, std::string path)
      : value_(&value), file_(std::move(file)), path_(std::move(path)) {}

  const nlohmann::json& json() const { return *value_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  bool is_null() const { return value_->is_null(); }
  bool is_object() const { return value_->is_object(); }
  bool is_array() const { return value_->is_array(); }
  bool is_string() const { return value_->is_string(); }

  Field at(std::string_view key) const;                // required member of an object
  std::optional<Field> find(std::string_view key) const;  // absent or null -> nullopt
  Field at(size_t index) const;                        // element of an array
  size_t size() const;                                 // of an array or object (requires one)

  std::string str() const;
  bool boolean() const;
  int64_t integer() const;
  std::string str_or(std::string_view key, std::string fallback) const;
  bool bool_or(std::string_view key, bool fallback) const;

  [[noreturn]] void fail(const std::string& what) const;

 private:
  const nlohmann::json* value_;
  std::string file_;
  std::string path_;
};

}  // namespace qs::tokenizer_json
