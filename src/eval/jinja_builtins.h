#pragma once
// Between the Jinja files only: Python value semantics on JSON values (jinja_template.h).
// Each function throws qs::Error(where, ...) for an unsupported name or a wrong argument.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace qs::jinja {

using Value = nlohmann::json;

bool truthy(const Value& v);
// Python's repr() (strings quoted) and the code points of a UTF-8 string.
std::string python_repr(const Value& v);
std::vector<std::string> code_points(const std::string& s);

// a[i] (negative from the end) and a[begin:end] (null bounds: open) on strings (code points),
// lists; a['key'] / a.key on objects.
Value index_value(const Value& container, const Value& index, const std::string& where);
Value slice_value(const Value& container, const Value& begin, const Value& end, const std::string& where);
Value attribute(const Value& object, const std::string& name, const std::string& where);

// Binary operators: + - * / // % ~ == != < > <= >= in.
Value binary(const std::string& op, const Value& a, const Value& b, const std::string& where);

Value apply_filter(const std::string& name, const Value& input, const std::vector<Value>& args, const std::string& where);
Value call_method(const Value& self, const std::string& name, const std::vector<Value>& args, const std::string& where);

}  // namespace qs::jinja
