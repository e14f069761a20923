#pragma once
// String operations with Python's semantics on UTF-8 text, as lm-eval applies them
// (str.strip / str.rstrip / str.isspace, str.lower, string.punctuation).
#include <string>
#include <string_view>
#include <vector>

namespace qs::text {

// Number of bytes of trailing whitespace (Python str.isspace, Unicode-aware).
size_t trailing_whitespace_bytes(std::string_view s);
std::string rstrip(std::string_view s);
std::string strip(std::string_view s);  // Python str.strip()
bool starts_with_space(std::string_view s);

// Python str.lower() for the Latin, Greek and Cyrillic letters (ASCII and the common blocks).
std::string lower(std::string_view s);
// Removes the characters of Python's string.punctuation (ASCII only, as lm-eval's table).
std::string remove_punctuation(std::string_view s);
// Number of Unicode code points (Python len(str)): lm-eval's acc_norm length.
size_t code_points(std::string_view s);
// `s` with every byte that is not part of valid UTF-8 written as the four characters "\xNN":
// messages quoting a malformed row stay readable and can be stored in JSON (which needs UTF-8).
std::string escape_invalid_utf8(std::string_view s);

// Python's s.split(sep)[0]: the text before the first occurrence of sep (all of s if absent).
std::string before(std::string_view s, std::string_view sep);

std::string replace_all(std::string s, std::string_view from, std::string_view to);
std::vector<std::string> split(std::string_view s, char sep);

}  // namespace qs::text
