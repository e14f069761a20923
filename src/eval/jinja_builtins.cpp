// Python value semantics for the Jinja subset (jinja_builtins.h): what str(), indexing, the
// operators, the filters and the str/list methods do in Python 3 / Jinja2.
#include "eval/jinja_builtins.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/error.h"
#include "eval/jinja_template.h"

namespace qs {
namespace jinja {
namespace {

const char* const kWhitespace = " \t\n\r\v\f";

[[noreturn]] void fail(const std::string& where, const std::string& what) { throw Error(where, what); }

const std::string& need_string(const Value& v, const std::string& what, const std::string& where) {
  if (!v.is_string()) fail(where, what + " needs a string, got " + python_repr(v));
  return v.get_ref<const std::string&>();
}

int64_t need_int(const Value& v, const std::string& what, const std::string& where) {
  if (!v.is_number_integer()) fail(where, what + " needs an integer, got " + python_repr(v));
  return v.get<int64_t>();
}

std::string ascii_map(std::string s, int (*f)(int)) {
  for (auto& c : s)
    if (static_cast<unsigned char>(c) < 128) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  return s;
}

std::string capitalize(const std::string& s) {  // Python: first upper, the rest lower
  std::string out = ascii_map(s, [](int c) { return std::tolower(c); });
  if (!out.empty() && static_cast<unsigned char>(out[0]) < 128) out[0] = static_cast<char>(std::toupper(out[0]));
  return out;
}

std::string title(const std::string& s) {  // Jinja's title: first letter of each word upper
  std::string out = s;
  bool start = true;
  for (auto& c : out) {
    const bool alpha = std::isalpha(static_cast<unsigned char>(c)) != 0;
    if (static_cast<unsigned char>(c) < 128) c = static_cast<char>(start ? std::toupper(c) : std::tolower(c));
    start = !alpha;
  }
  return out;
}

// Python's str.isspace() for one UTF-8 code point (ASCII controls, NEL, NBSP, the Unicode spaces).
bool is_python_space(const std::string& point) {
  static const std::vector<std::string> kSpaces = {
      " ", "\t", "\n", "\v", "\f", "\r", "\x1c", "\x1d", "\x1e", "\x1f", "\u0085", "\u00a0", "\u1680", "\u2000",
      "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u2028",
      "\u2029", "\u202f", "\u205f", "\u3000"};
  return std::find(kSpaces.begin(), kSpaces.end(), point) != kSpaces.end();
}

// strip() / split() without arguments: Python's whitespace, over code points.
std::string strip_space(const std::string& s, bool left, bool right) {
  const auto points = code_points(s);
  size_t begin = 0, end = points.size();
  while (left && begin < end && is_python_space(points[begin])) ++begin;
  while (right && end > begin && is_python_space(points[end - 1])) --end;
  std::string out;
  for (size_t k = begin; k < end; ++k) out += points[k];
  return out;
}

Value split_space(const std::string& s, int64_t max_split) {
  Value parts = Value::array();
  std::string current;
  bool in_word = false;
  const auto points = code_points(s);
  for (size_t k = 0; k < points.size(); ++k) {
    if (max_split >= 0 && static_cast<int64_t>(parts.size()) == max_split && in_word) {
      std::string rest;
      for (size_t j = k; j < points.size(); ++j) rest += points[j];
      parts.push_back(current + strip_space(rest, false, true));
      return parts;
    }
    if (is_python_space(points[k])) {
      if (in_word) parts.push_back(current);
      current.clear();
      in_word = false;
    } else {
      current += points[k];
      in_word = true;
    }
  }
  if (in_word) parts.push_back(current);
  return parts;
}

std::string strip(const std::string& s, const std::string& chars, bool left, bool right) {
  size_t begin = left ? s.find_first_not_of(chars) : 0;
  if (begin == std::string::npos) return "";
  size_t end = right ? s.find_last_not_of(chars) + 1 : s.size();
  return s.substr(begin, end - begin);
}

Value split(const std::string& s, const Value* sep, int64_t max_split) {
  if (sep == nullptr || sep->is_null()) return split_space(s, max_split);  // runs of whitespace, no empty parts
  Value parts = Value::array();
  const std::string& d = sep->get_ref<const std::string&>();
  size_t pos = 0;
  for (;;) {
    size_t at = s.find(d, pos);
    if (at == std::string::npos || (max_split >= 0 && static_cast<int64_t>(parts.size()) == max_split)) break;
    parts.push_back(s.substr(pos, at - pos));
    pos = at + d.size();
  }
  parts.push_back(s.substr(pos));
  return parts;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) s.replace(pos, from.size(), to);
  return s;
}

std::string join(const Value& items, const std::string& sep, const std::string& where) {
  if (!items.is_array()) fail(where, "join needs a list, got " + python_repr(items));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + python_str(items[i]);
  return out;
}

int64_t length(const Value& v, const std::string& where) {
  if (v.is_string()) return static_cast<int64_t>(code_points(v.get_ref<const std::string&>()).size());
  if (v.is_array() || v.is_object()) return static_cast<int64_t>(v.size());
  fail(where, "length of " + python_repr(v));
}

int64_t normalized_index(int64_t i, int64_t n) { return i < 0 ? i + n : i; }

double as_double(const Value& v, const std::string& where) {
  if (!v.is_number()) fail(where, "arithmetic on " + python_repr(v));
  return v.get<double>();
}

Value arithmetic(const std::string& op, const Value& a, const Value& b, const std::string& where) {
  if (a.is_number_integer() && b.is_number_integer() && op != "/") {
    const int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
    if ((op == "//" || op == "%") && y == 0) fail(where, "division by zero");
    if (op == "+") return x + y;
    if (op == "-") return x - y;
    if (op == "*") return x * y;
    const int64_t q = x / y - ((x % y != 0) && ((x < 0) != (y < 0)));  // Python floors
    return op == "//" ? Value(q) : Value(x - q * y);
  }
  const double x = as_double(a, where), y = as_double(b, where);
  if (op == "+") return x + y;
  if (op == "-") return x - y;
  if (op == "*") return x * y;
  if (y == 0) fail(where, "division by zero");
  if (op == "/") return x / y;
  if (op == "//") return std::floor(x / y);
  return x - std::floor(x / y) * y;
}

bool less(const Value& a, const Value& b, const std::string& where) {
  if (a.is_number() && b.is_number()) return a.get<double>() < b.get<double>();
  if (a.is_string() && b.is_string()) return a.get_ref<const std::string&>() < b.get_ref<const std::string&>();
  fail(where, "cannot compare " + python_repr(a) + " and " + python_repr(b));
}

bool contains(const Value& container, const Value& item, const std::string& where) {
  if (container.is_string()) return container.get_ref<const std::string&>().find(need_string(item, "'in' on a string", where)) != std::string::npos;
  if (container.is_array()) {
    for (const auto& x : container)
      if (x == item) return true;
    return false;
  }
  if (container.is_object()) return item.is_string() && container.contains(item.get_ref<const std::string&>());
  fail(where, "'in' needs a string, list or dict, got " + python_repr(container));
}

}  // namespace

bool truthy(const Value& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
  return true;
}

std::vector<std::string> code_points(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string python_repr(const Value& v) {
  if (!v.is_string()) return python_str(v);
  const std::string& s = v.get_ref<const std::string&>();
  const char quote = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, quote);
  for (char c : s) {
    if (c == '\\' || c == quote) out += std::string("\\") + c;
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  return out + quote;
}

Value index_value(const Value& container, const Value& index, const std::string& where) {
  if (container.is_object()) return attribute(container, need_string(index, "a dict key", where), where);
  const int64_t i = need_int(index, "an index", where);
  if (container.is_string()) {
    const auto points = code_points(container.get_ref<const std::string&>());
    const int64_t k = normalized_index(i, static_cast<int64_t>(points.size()));
    if (k < 0 || k >= static_cast<int64_t>(points.size())) fail(where, "string index " + std::to_string(i) + " out of range");
    return points[static_cast<size_t>(k)];
  }
  if (!container.is_array()) fail(where, "cannot index " + python_repr(container));
  const int64_t k = normalized_index(i, static_cast<int64_t>(container.size()));
  if (k < 0 || k >= static_cast<int64_t>(container.size())) fail(where, "list index " + std::to_string(i) + " out of range");
  return container[static_cast<size_t>(k)];
}

Value slice_value(const Value& container, const Value& begin, const Value& end, const std::string& where) {
  std::vector<std::string> points;
  if (container.is_string()) points = code_points(container.get_ref<const std::string&>());
  else if (!container.is_array()) fail(where, "cannot slice " + python_repr(container));
  const int64_t n = container.is_string() ? static_cast<int64_t>(points.size()) : static_cast<int64_t>(container.size());
  auto bound = [&](const Value& b, int64_t open) {
    if (b.is_null()) return open;
    return std::clamp<int64_t>(normalized_index(need_int(b, "a slice bound", where), n), 0, n);
  };
  const int64_t from = bound(begin, 0), to = bound(end, n);
  if (container.is_string()) {
    std::string out;
    for (int64_t k = from; k < to; ++k) out += points[static_cast<size_t>(k)];
    return out;
  }
  Value out = Value::array();
  for (int64_t k = from; k < to; ++k) out.push_back(container[static_cast<size_t>(k)]);
  return out;
}

Value attribute(const Value& object, const std::string& name, const std::string& where) {
  if (!object.is_object() || !object.contains(name)) fail(where, "'" + name + "' is undefined in " + python_repr(object).substr(0, 80));
  return object[name];
}

Value binary(const std::string& op, const Value& a, const Value& b, const std::string& where) {
  if (op == "~") return python_str(a) + python_str(b);
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == "<") return less(a, b, where);
  if (op == ">") return less(b, a, where);
  if (op == "<=") return !less(b, a, where);
  if (op == ">=") return !less(a, b, where);
  if (op == "in") return contains(b, a, where);
  if (op == "+" && a.is_string() && b.is_string()) return a.get<std::string>() + b.get<std::string>();
  if (op == "+" && a.is_array() && b.is_array()) {
    Value out = a;
    for (const auto& x : b) out.push_back(x);
    return out;
  }
  return arithmetic(op, a, b, where);
}

Value apply_filter(const std::string& name, const Value& input, const std::vector<Value>& args, const std::string& where) {
  auto arg = [&](size_t i) -> const Value& {
    if (i >= args.size()) fail(where, "filter '" + name + "' needs argument " + std::to_string(i + 1));
    return args[i];
  };
  if (name == "trim") return strip_space(need_string(input, "trim", where), true, true);
  if (name == "lower") return ascii_map(need_string(input, "lower", where), [](int c) { return std::tolower(c); });
  if (name == "upper") return ascii_map(need_string(input, "upper", where), [](int c) { return std::toupper(c); });
  if (name == "capitalize") return capitalize(need_string(input, "capitalize", where));
  if (name == "title") return title(need_string(input, "title", where));
  if (name == "replace")
    return replace_all(python_str(input), need_string(arg(0), "replace", where), need_string(arg(1), "replace", where));
  if (name == "join") return join(input, args.empty() ? "" : need_string(args[0], "join", where), where);
  if (name == "length" || name == "count") return length(input, where);
  if (name == "first" || name == "last") {
    if (length(input, where) == 0) fail(where, name + " of an empty sequence");
    return index_value(input, name == "first" ? 0 : -1, where);
  }
  if (name == "string") return python_str(input);
  if (name == "int") {
    if (input.is_number()) return static_cast<int64_t>(input.get<double>());
    int64_t value = 0;
    const std::string s = strip(python_str(input), kWhitespace, true, true);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    return ec == std::errc() && end == s.data() + s.size() ? value : 0;  // Jinja: 0 when unparsable
  }
  if (name == "float") return input.is_number() ? input.get<double>() : std::stod(python_str(input));
  if (name == "default") return input.is_null() ? arg(0) : input;
  fail(where, "unsupported Jinja filter '" + name + "'");
}

Value call_method(const Value& self, const std::string& name, const std::vector<Value>& args, const std::string& where) {
  auto arg = [&](size_t i) -> const Value& {
    if (i >= args.size()) fail(where, "method '" + name + "' needs argument " + std::to_string(i + 1));
    return args[i];
  };
  if (self.is_array() && name == "index") {
    for (size_t i = 0; i < self.size(); ++i)
      if (self[i] == arg(0)) return static_cast<int64_t>(i);
    fail(where, python_repr(arg(0)) + " is not in list");
  }
  if (self.is_array() && name == "count") {
    int64_t n = 0;
    for (const auto& x : self) n += x == arg(0);
    return n;
  }
  const std::string& s = need_string(self, "method '" + name + "'", where);
  const bool default_chars = args.empty() || args[0].is_null();
  auto stripped = [&](bool left, bool right) {
    return default_chars ? strip_space(s, left, right) : strip(s, need_string(args[0], name, where), left, right);
  };
  if (name == "strip") return stripped(true, true);
  if (name == "lstrip") return stripped(true, false);
  if (name == "rstrip") return stripped(false, true);
  if (name == "split") return split(s, args.empty() ? nullptr : &args[0], args.size() > 1 ? need_int(args[1], "split", where) : -1);
  if (name == "lower" || name == "upper" || name == "capitalize" || name == "title") return apply_filter(name, self, {}, where);
  if (name == "replace") return replace_all(s, need_string(arg(0), "replace", where), need_string(arg(1), "replace", where));
  if (name == "startswith") return s.rfind(need_string(arg(0), "startswith", where), 0) == 0;
  if (name == "endswith") return s.ends_with(need_string(arg(0), "endswith", where));
  if (name == "join") return join(arg(0), s, where);
  if (name == "index" || name == "find") {
    const size_t at = s.find(need_string(arg(0), name, where));
    if (at == std::string::npos && name == "index") fail(where, "substring not found");
    return at == std::string::npos ? int64_t{-1} : static_cast<int64_t>(code_points(s.substr(0, at)).size());
  }
  if (name == "count") {
    const std::string& needle = need_string(arg(0), "count", where);
    int64_t n = 0;
    for (size_t pos = s.find(needle); !needle.empty() && pos != std::string::npos; pos = s.find(needle, pos + needle.size())) ++n;
    return n;
  }
  fail(where, "unsupported method '" + name + "' (Python code other than the str/list methods listed in docs/eval.md)");
}

}  // namespace jinja

std::string python_str(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_float()) {
    const double d = v.get<double>();
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);  // shortest round trip, as Python
    std::string s(buffer, end);
    if (std::isfinite(d) && s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
  }
  std::string out = v.is_array() ? "[" : "{";
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    out += first ? "" : ", ";
    first = false;
    if (v.is_object()) out += jinja::python_repr(it.key()) + ": ";
    out += jinja::python_repr(*it);
  }
  return out + (v.is_array() ? "]" : "}");
}

}  // namespace qs
