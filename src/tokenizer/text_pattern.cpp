#include "tokenizer/text_pattern.h"

#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace qs {

TextPattern::TextPattern(const tokenizer_json::Field& spec) {
  if (auto literal = spec.find("String")) {
    literal_ = literal->str();
  } else if (auto regex = spec.find("Regex")) {
    regex_ = std::make_unique<Regex>(regex->str(), regex->file() + ": field '" + regex->path() + "'");
  } else {
    spec.fail("expected {\"String\": ...} or {\"Regex\": ...}");
  }
}

TextPattern::TextPattern(std::string literal) : literal_(std::move(literal)) {}
TextPattern::~TextPattern() = default;
TextPattern::TextPattern(TextPattern&&) noexcept = default;
TextPattern& TextPattern::operator=(TextPattern&&) noexcept = default;

std::vector<TextPattern::Span> TextPattern::find_matches(std::string_view text) const {
  std::vector<Span> spans;
  if (text.empty()) return {{0, 0, false}};
  std::vector<std::pair<size_t, size_t>> matches;  // byte ranges
  if (regex_) {
    std::vector<char32_t> code_points;
    std::vector<size_t> offsets;  // byte offset of each code point, plus the end
    code_points.reserve(text.size());
    offsets.reserve(text.size() + 1);
    for (size_t pos = 0; pos < text.size();) {
      char32_t c = 0xFFFD;
      const size_t length = unicode::decode_utf8(text, pos, c);
      code_points.push_back(c);
      offsets.push_back(pos);
      pos += length == 0 ? 1 : length;
    }
    offsets.push_back(text.size());
    for (auto [begin, end] : regex_->find_all(code_points)) matches.emplace_back(offsets[begin], offsets[end]);
  } else if (!literal_.empty()) {
    for (size_t pos = text.find(literal_); pos != std::string_view::npos; pos = text.find(literal_, pos + literal_.size())) {
      matches.emplace_back(pos, pos + literal_.size());
    }
  }
  size_t previous = 0;
  for (auto [begin, end] : matches) {
    if (previous != begin) spans.push_back({previous, begin, false});
    spans.push_back({begin, end, true});
    previous = end;
  }
  if (previous != text.size()) spans.push_back({previous, text.size(), false});
  return spans;
}

std::string TextPattern::replace_all(std::string_view text, std::string_view content) const {
  std::string out;
  out.reserve(text.size());
  for (const Span& span : find_matches(text)) {
    if (span.is_match) out += content;
    else out.append(text.substr(span.begin, span.end - span.begin));
  }
  return out;
}

}  // namespace qs
