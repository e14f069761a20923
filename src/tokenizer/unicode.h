#pragma once
// Unicode helpers for the tokenizer: UTF-8 coding, general categories (Unicode 16.0, as the regex
// engine of Hugging Face `tokenizers` sees them) and NFC normalization (Unicode 9.0 data, as the
// normalizer of `tokenizers` 0.23 computes it). Tables: unicode_tables.cpp (generated).
#include <cstddef>
#include <string>
#include <string_view>

namespace qs::unicode {

// Decodes one UTF-8 sequence starting at text[pos]; returns its length (1..4) and stores the code
// point, or returns 0 when the bytes there are not valid UTF-8 (overlong, surrogate, truncated...).
size_t decode_utf8(std::string_view text, size_t pos, char32_t& code_point);
// Length of the valid UTF-8 sequence starting with this lead byte, assuming validated input.
inline size_t utf8_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}
void append_utf8(std::string& out, char32_t code_point);
// Byte offset of the first invalid UTF-8 sequence, or std::string_view::npos when the text is valid.
size_t find_invalid_utf8(std::string_view text);

// General category as its two-letter name ("Lu", "Nd", ... "Cn" for unassigned).
std::string_view category_name(char32_t code_point);
// Index of the category in unicode_tables::kCategoryNames, or -1 for unassigned (Cn).
int category_index(char32_t code_point);
bool is_letter(char32_t code_point);       // \p{L}
bool is_number(char32_t code_point);       // \p{N}
bool is_white_space(char32_t code_point);  // White_Space property (\s of the regex, Rust char::is_whitespace)
char32_t simple_case_fold(char32_t code_point);  // CaseFolding.txt C + S

// NFC (canonical decomposition, canonical ordering, canonical composition) of valid UTF-8.
std::string nfc(std::string_view text);
std::string nfd(std::string_view text);  // canonical decomposition + ordering

}  // namespace qs::unicode
