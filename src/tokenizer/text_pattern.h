#pragma once
// The `pattern` of Split pre-tokenizers and Replace normalizers/decoders: {"String": literal} or
// {"Regex": pattern}. Matching follows tokenizers' Pattern::find_matches: the whole text is covered
// by ordered (begin, end, is_match) byte ranges.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/json_field.h"

namespace qs {

class Regex;

class TextPattern {
 public:
  explicit TextPattern(const tokenizer_json::Field& spec);
  explicit TextPattern(std::string literal);  // a {"String": literal} pattern
  ~TextPattern();
  TextPattern(TextPattern&&) noexcept;
  TextPattern& operator=(TextPattern&&) noexcept;

  struct Span {
    size_t begin, end;
    bool is_match;
  };
  std::vector<Span> find_matches(std::string_view text) const;
  std::string replace_all(std::string_view text, std::string_view content) const;

 private:
  std::string literal_;
  std::unique_ptr<Regex> regex_;  // null for a literal
};

}  // namespace qs
