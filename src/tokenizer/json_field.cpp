#include "tokenizer/json_field.h"

#include "core/error.h"

namespace qs::tokenizer_json {

void Field::fail(const std::string& what) const {
  throw Error(file_, "field '" + (path_.empty() ? std::string("<root>") : path_) + "': " + what);
}

Field Field::at(std::string_view key) const {
  std::optional<Field> member = find(key);
  if (!member) Field(*value_, file_, path_.empty() ? std::string(key) : path_ + "." + std::string(key)).fail("missing");
  return *member;
}

std::optional<Field> Field::find(std::string_view key) const {
  if (!value_->is_object()) fail("expected an object");
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return std::nullopt;
  return Field(*it, file_, path_.empty() ? std::string(key) : path_ + "." + std::string(key));
}

Field Field::at(size_t index) const {
  if (!value_->is_array()) fail("expected an array");
  if (index >= value_->size()) fail("index " + std::to_string(index) + " out of range");
  return Field((*value_)[index], file_, path_ + "[" + std::to_string(index) + "]");
}

size_t Field::size() const {
  if (!value_->is_array() && !value_->is_object()) fail("expected an array or an object");
  return value_->size();
}

std::string Field::str() const {
  if (!value_->is_string()) fail("expected a string");
  return value_->get<std::string>();
}

bool Field::boolean() const {
  if (!value_->is_boolean()) fail("expected true or false");
  return value_->get<bool>();
}

int64_t Field::integer() const {
  if (!value_->is_number_integer()) fail("expected an integer");
  return value_->get<int64_t>();
}

std::string Field::str_or(std::string_view key, std::string fallback) const {
  auto member = find(key);
  return member ? member->str() : std::move(fallback);
}

bool Field::bool_or(std::string_view key, bool fallback) const {
  auto member = find(key);
  return member ? member->boolean() : fallback;
}

}  // namespace qs::tokenizer_json
