#include "eval/text_util.h"

#include <cstdint>

#include "tokenizer/unicode.h"

namespace qs::text {
namespace {

// Decodes the code point ending at s[end-1]; returns its start offset.
size_t previous_code_point(std::string_view s, size_t end, char32_t& cp) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 && end - start < 4) --start;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  size_t len = end - start;
  if (len == 1) cp = byte(start);
  else if (len == 2) cp = ((byte(start) & 0x1F) << 6) | (byte(start + 1) & 0x3F);
  else if (len == 3) cp = ((byte(start) & 0x0F) << 12) | ((byte(start + 1) & 0x3F) << 6) | (byte(start + 2) & 0x3F);
  else cp = ((byte(start) & 0x07) << 18) | ((byte(start + 1) & 0x3F) << 12) | ((byte(start + 2) & 0x3F) << 6) | (byte(start + 3) & 0x3F);
  return start;
}

size_t next_code_point(std::string_view s, size_t start, char32_t& cp) {
  auto byte = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  unsigned char b = byte(start);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
  if (start + len > s.size()) len = 1;
  if (len == 1) cp = b;
  else if (len == 2) cp = ((b & 0x1F) << 6) | (byte(start + 1) & 0x3F);
  else if (len == 3) cp = ((b & 0x0F) << 12) | ((byte(start + 1) & 0x3F) << 6) | (byte(start + 2) & 0x3F);
  else cp = ((b & 0x07) << 18) | ((byte(start + 1) & 0x3F) << 12) | ((byte(start + 2) & 0x3F) << 6) | (byte(start + 3) & 0x3F);
  return start + len;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Python's str.isspace(): Unicode White_Space plus the ASCII separators 0x1C-0x1F.
bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

char32_t to_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x138 && c != 0x149 && c != 0x17F) {
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
    return c;
  }
  if ((c >= 0x391 && c <= 0x3A9 && c != 0x3A2)) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

}  // namespace

size_t trailing_whitespace_bytes(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    char32_t cp;
    size_t start = previous_code_point(s, end, cp);
    if (!is_space(cp)) break;
    end = start;
  }
  return s.size() - end;
}

std::string rstrip(std::string_view s) { return std::string(s.substr(0, s.size() - trailing_whitespace_bytes(s))); }

std::string strip(std::string_view s) {
  size_t start = 0;
  while (start < s.size()) {
    char32_t cp;
    size_t next = next_code_point(s, start, cp);
    if (!is_space(cp)) break;
    start = next;
  }
  return rstrip(s.substr(start));
}

bool starts_with_space(std::string_view s) {
  if (s.empty()) return false;
  char32_t cp;
  next_code_point(s, 0, cp);
  return is_space(cp);
}

std::string lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    size_t next = next_code_point(s, i, cp);
    if (next - i == 1 && cp >= 0x80) {
      out += s[i];  // invalid byte: keep as is
    } else {
      append_utf8(out, to_lower(cp));
    }
    i = next;
  }
  return out;
}

std::string remove_punctuation(std::string_view s) {
  static constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (kPunctuation.find(c) == std::string_view::npos) out += c;
  return out;
}

size_t code_points(std::string_view s) {
  size_t count = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  return count;
}

std::string escape_invalid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    char32_t ignored = 0;
    const size_t length = unicode::decode_utf8(s, pos, ignored);
    if (length > 0) {
      out.append(s.substr(pos, length));
      pos += length;
      continue;
    }
    static const char kHex[] = "0123456789abcdef";
    const auto byte = static_cast<unsigned char>(s[pos++]);
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

std::string before(std::string_view s, std::string_view sep) {
  size_t pos = s.find(sep);
  return std::string(pos == std::string_view::npos ? s : s.substr(0, pos));
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    parts.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

}  // namespace qs::text
