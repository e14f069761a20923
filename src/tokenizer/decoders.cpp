// Decoders of Hugging Face tokenizers (decoders/*): ByteLevel, ByteFallback, Fuse, Strip, Replace,
// Metaspace, Sequence. Each maps a list of token strings to a list of strings (decode_chain).
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/pipeline.h"
#include "tokenizer/text_pattern.h"
#include "tokenizer/unicode.h"

namespace qs {
namespace {

using tokenizer_json::Field;
const std::string kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// Rust's String::from_utf8_lossy: each maximal invalid subpart becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    char32_t c;
    const size_t length = unicode::decode_utf8(bytes, pos, c);
    if (length > 0) {
      out.append(bytes.substr(pos, length));
      pos += length;
      continue;
    }
    // Length of the longest prefix of a valid sequence starting at pos (at least 1 byte).
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
    const unsigned char lead = byte(pos);
    size_t needed = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 1;
    size_t valid = 1;
    for (; valid < needed && pos + valid < bytes.size(); ++valid) {
      const unsigned char next = byte(pos + valid);
      unsigned char low = 0x80, high = 0xBF;
      if (valid == 1) {
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
      }
      if (next < low || next > high) break;
    }
    out += kReplacementCharacter;
    pos += valid;
  }
  return out;
}

class ByteLevelDecoder final : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      const size_t start = bytes.size();
      bool all_mapped = true;
      for (size_t pos = 0; pos < token.size();) {
        char32_t c = 0xFFFD;
        size_t length = unicode::decode_utf8(token, pos, c);
        const int byte = length == 0 ? -1 : byte_level_byte(c);
        if (byte < 0) {
          all_mapped = false;
          break;
        }
        bytes.push_back(static_cast<char>(byte));
        pos += length;
      }
      if (!all_mapped) {  // a token outside the byte alphabet (an added token) keeps its raw bytes
        bytes.resize(start);
        bytes += token;
      }
    }
    return {utf8_lossy(bytes)};
  }
};

class ByteFallbackDecoder final : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    std::vector<std::string> out;
    std::string pending;  // consecutive <0xNN> bytes
    size_t pending_count = 0;
    const auto flush = [&] {
      if (pending_count == 0) return;
      if (unicode::find_invalid_utf8(pending) == std::string_view::npos) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending_count; ++i) out.push_back(kReplacementCharacter);
      }
      pending.clear();
      pending_count = 0;
    };
    for (std::string& token : tokens) {
      int value = -1;
      if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>') {
        const auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
        const int high = hex(token[3]), low = hex(token[4]);
        if (high >= 0 && low >= 0) value = high * 16 + low;
      }
      if (value >= 0) {
        pending.push_back(static_cast<char>(value));
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    return out;
  }
};

class FuseDecoder final : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    std::string joined;
    for (const std::string& token : tokens) joined += token;
    return {joined};
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (std::string& token : tokens) {
      std::vector<std::pair<size_t, char32_t>> chars;  // (byte offset, code point)
      for (size_t pos = 0; pos < token.size();) {
        char32_t c = 0xFFFD;
        const size_t length = unicode::decode_utf8(token, pos, c);
        chars.emplace_back(pos, c);
        pos += length == 0 ? 1 : length;
      }
      size_t begin = 0, end = chars.size();
      while (begin < start_ && begin < chars.size() && chars[begin].second == content_) ++begin;
      for (size_t i = 0; i < stop_ && end > begin && chars[end - 1].second == content_; ++i) --end;
      const size_t byte_begin = begin < chars.size() ? chars[begin].first : token.size();
      const size_t byte_end = end < chars.size() ? chars[end].first : token.size();
      token = token.substr(byte_begin, byte_end - byte_begin);
    }
    return tokens;
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(TextPattern pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (std::string& token : tokens) token = pattern_.replace_all(token, content_);
    return tokens;
  }

 private:
  TextPattern pattern_;
  std::string content_;
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first) : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = TextPattern(replacement_).replace_all(tokens[i], (i == 0 && strip_first_) ? "" : " ");
    }
    return tokens;
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (const auto& step : steps_) tokens = step->decode_chain(std::move(tokens));
    return tokens;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

char32_t single_char(const Field& field) {
  const std::string text = field.str();
  char32_t c;
  if (text.empty() || unicode::decode_utf8(text, 0, c) != text.size()) field.fail("expected a single character");
  return c;
}

size_t count(const Field& spec, std::string_view key) {
  auto field = spec.find(key);
  if (!field) return 0;
  const int64_t value = field->integer();
  if (value < 0 || value > 1'000'000) field->fail("out of range");
  return static_cast<size_t>(value);
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const Field& spec) {
  const std::string type = spec.at("type").str();
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") return std::make_unique<StripDecoder>(single_char(spec.at("content")), count(spec, "start"), count(spec, "stop"));
  if (type == "Replace") return std::make_unique<ReplaceDecoder>(TextPattern(spec.at("pattern")), spec.at("content").str());
  if (type == "Metaspace") {
    const std::string scheme = spec.str_or("prepend_scheme", spec.bool_or("add_prefix_space", true) ? "always" : "never");
    return std::make_unique<MetaspaceDecoder>(spec.str_or("replacement", "\u2581"), scheme != "never");
  }
  if (type == "Sequence") {
    const Field list = spec.at("decoders");
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list.size(); ++i) steps.push_back(make_decoder(list.at(i)));
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  spec.at("type").fail("unsupported decoder type '" + type +
                       "' (supported: ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace, Sequence)");
}

}  // namespace qs
