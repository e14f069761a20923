// Pre-tokenizers of Hugging Face tokenizers (pre_tokenizers/*): ByteLevel, Split, Digits, Metaspace,
// Whitespace, WhitespaceSplit, Sequence. Each splits a piece into words the model encodes separately.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/pipeline.h"
#include "tokenizer/regex.h"
#include "tokenizer/text_pattern.h"
#include "tokenizer/unicode.h"

namespace qs {
namespace {

using tokenizer_json::Field;
using Span = TextPattern::Span;

// The pre-tokenizer regex of GPT-2 (ByteLevel with use_regex).
constexpr std::string_view kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

Behavior parse_behavior(const Field& field) {
  const std::string name = field.str();
  if (name == "Removed") return Behavior::Removed;
  if (name == "Isolated") return Behavior::Isolated;
  if (name == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (name == "MergedWithNext") return Behavior::MergedWithNext;
  if (name == "Contiguous") return Behavior::Contiguous;
  field.fail("unknown split behavior '" + name + "'");
}

// tokenizers' NormalizedString::split: turns (range, is_match) spans into pieces per behavior.
void split_by(const PreToken& piece, std::vector<Span> spans, Behavior behavior, std::vector<PreToken>& out) {
  std::vector<std::pair<Span, bool>> pieces;  // (range, remove)
  bool previous_match = false;
  switch (behavior) {
    case Behavior::Isolated:
      for (const Span& s : spans) pieces.push_back({s, false});
      break;
    case Behavior::Removed:
      for (const Span& s : spans) pieces.push_back({s, s.is_match});
      break;
    case Behavior::Contiguous:
    case Behavior::MergedWithPrevious:
      for (const Span& s : spans) {
        const bool merge = behavior == Behavior::Contiguous ? s.is_match == previous_match : (s.is_match && !previous_match);
        if (merge && !pieces.empty()) pieces.back().first.end = s.end;
        else pieces.push_back({s, false});
        previous_match = s.is_match;
      }
      break;
    case Behavior::MergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !pieces.empty()) pieces.back().first.begin = it->begin;
        else pieces.push_back({*it, false});
        previous_match = it->is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
  }
  for (const auto& [span, remove] : pieces) {
    if (remove || span.end == span.begin) continue;
    out.push_back({piece.text.substr(span.begin, span.end - span.begin), piece.at_start && span.begin == 0});
  }
}

// Spans where each character satisfying `predicate` is its own match (tokenizers' Fn(char) pattern).
template <typename Predicate>
std::vector<Span> char_matches(std::string_view text, Predicate predicate) {
  std::vector<Span> spans;
  if (text.empty()) return {{0, 0, false}};
  size_t last = 0;
  for (size_t pos = 0; pos < text.size();) {
    char32_t c = 0xFFFD;
    size_t length = unicode::decode_utf8(text, pos, c);
    if (length == 0) length = 1;
    if (predicate(c)) {
      if (last < pos) spans.push_back({last, pos, false});
      spans.push_back({pos, pos + length, true});
      last = pos + length;
    }
    pos += length;
  }
  if (last < text.size()) spans.push_back({last, text.size(), false});
  return spans;
}

template <typename SplitOne>
void split_each(std::vector<PreToken>& pieces, SplitOne split_one) {
  std::vector<PreToken> out;
  out.reserve(pieces.size());
  for (const PreToken& piece : pieces) split_one(piece, out);
  pieces = std::move(out);
}

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(TextPattern pattern, Behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void split(std::vector<PreToken>& pieces) const override {
    split_each(pieces, [&](const PreToken& piece, std::vector<PreToken>& out) {
      std::vector<Span> spans = pattern_.find_matches(piece.text);
      if (invert_) for (Span& s : spans) s.is_match = !s.is_match;
      split_by(piece, std::move(spans), behavior_, out);
    });
  }

 private:
  TextPattern pattern_;
  Behavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
    if (use_regex) regex_ = std::make_unique<TextPattern>(gpt2_pattern());
  }
  void split(std::vector<PreToken>& pieces) const override {
    split_each(pieces, [&](const PreToken& piece, std::vector<PreToken>& out) {
      PreToken prefixed = piece;
      if (add_prefix_space_ && (prefixed.text.empty() || prefixed.text[0] != ' ')) prefixed.text = " " + prefixed.text;
      const size_t first = out.size();
      if (regex_) split_by(prefixed, regex_->find_matches(prefixed.text), Behavior::Isolated, out);
      else if (!prefixed.text.empty()) out.push_back(std::move(prefixed));
      for (size_t i = first; i < out.size(); ++i) {
        std::string mapped;
        mapped.reserve(out[i].text.size() * 2);
        for (unsigned char byte : out[i].text) mapped += byte_level_char(byte);
        out[i].text = std::move(mapped);
      }
    });
  }

 private:
  static TextPattern gpt2_pattern() {
    const nlohmann::json spec = {{"Regex", std::string(kGpt2Pattern)}};
    return TextPattern(tokenizer_json::Field(spec, "<GPT-2 pattern>", "Regex"));
  }
  bool add_prefix_space_;
  std::unique_ptr<TextPattern> regex_;
};

class DigitsPreTokenizer final : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void split(std::vector<PreToken>& pieces) const override {
    split_each(pieces, [&](const PreToken& piece, std::vector<PreToken>& out) {
      auto spans = char_matches(piece.text, [](char32_t c) { return c >= '0' && c <= '9'; });
      split_by(piece, std::move(spans), individual_ ? Behavior::Isolated : Behavior::Contiguous, out);
    });
  }

 private:
  bool individual_;
};

class WhitespaceSplitPreTokenizer final : public PreTokenizer {
 public:
  void split(std::vector<PreToken>& pieces) const override {
    split_each(pieces, [&](const PreToken& piece, std::vector<PreToken>& out) {
      split_by(piece, char_matches(piece.text, unicode::is_white_space), Behavior::Removed, out);
    });
  }
};

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  enum class Prepend { Always, First, Never };
  MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
      : replacement_(std::move(replacement)), prepend_(prepend), split_(split) {}
  void split(std::vector<PreToken>& pieces) const override {
    split_each(pieces, [&](const PreToken& piece, std::vector<PreToken>& out) {
      PreToken replaced{TextPattern(std::string(" ")).replace_all(piece.text, replacement_), piece.at_start};
      const bool starts = replaced.text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (prepend_ == Prepend::Always || (prepend_ == Prepend::First && piece.at_start))) {
        replaced.text = replacement_ + replaced.text;
      }
      if (split_) split_by(replaced, TextPattern(replacement_).find_matches(replaced.text), Behavior::MergedWithNext, out);
      else if (!replaced.text.empty()) out.push_back(std::move(replaced));
    });
  }

 private:
  std::string replacement_;
  Prepend prepend_;
  bool split_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void split(std::vector<PreToken>& pieces) const override {
    for (const auto& step : steps_) step->split(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Field& spec) {
  const std::string type = spec.at("type").str();
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(spec.bool_or("add_prefix_space", true), spec.bool_or("use_regex", true));
  }
  if (type == "Split") {
    return std::make_unique<SplitPreTokenizer>(TextPattern(spec.at("pattern")), parse_behavior(spec.at("behavior")),
                                               spec.bool_or("invert", false));
  }
  if (type == "Digits") return std::make_unique<DigitsPreTokenizer>(spec.bool_or("individual_digits", false));
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplitPreTokenizer>();
  if (type == "Whitespace") {
    const nlohmann::json pattern = {{"Regex", R"(\w+|[^\w\s]+)"}};
    return std::make_unique<SplitPreTokenizer>(TextPattern(Field(pattern, spec.file(), spec.path())), Behavior::Removed, true);
  }
  if (type == "Metaspace") {
    using Prepend = MetaspacePreTokenizer::Prepend;
    Prepend prepend = spec.bool_or("add_prefix_space", true) ? Prepend::Always : Prepend::Never;
    if (auto scheme = spec.find("prepend_scheme")) {
      const std::string name = scheme->str();
      if (name == "always") prepend = Prepend::Always;
      else if (name == "first") prepend = Prepend::First;
      else if (name == "never") prepend = Prepend::Never;
      else scheme->fail("unknown prepend_scheme '" + name + "'");
    }
    return std::make_unique<MetaspacePreTokenizer>(spec.str_or("replacement", "\u2581"), prepend, spec.bool_or("split", true));
  }
  if (type == "Sequence") {
    const Field list = spec.at("pretokenizers");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) steps.push_back(make_pre_tokenizer(list.at(i)));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  spec.at("type").fail("unsupported pre_tokenizer type '" + type +
                       "' (supported: ByteLevel, Split, Digits, Metaspace, Whitespace, WhitespaceSplit, Sequence)");
}

const std::string& byte_level_char(unsigned char byte) {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      unicode::append_utf8(t[static_cast<size_t>(b)], printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++));
    }
    return t;
  }();
  return table[byte];
}

int byte_level_byte(char32_t code_point) {
  static const std::array<int, 324> inverse = [] {
    std::array<int, 324> t;
    t.fill(-1);
    for (int b = 0; b < 256; ++b) {
      char32_t c;
      unicode::decode_utf8(byte_level_char(static_cast<unsigned char>(b)), 0, c);
      t[c] = b;
    }
    return t;
  }();
  return code_point < inverse.size() ? inverse[code_point] : -1;
}

}  // namespace qs
