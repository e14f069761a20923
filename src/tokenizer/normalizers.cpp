// Normalizers of Hugging Face tokenizers (normalizers/*): NFC, NFD, Prepend, Replace, Strip, Sequence.
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

class NfcNormalizer final : public Normalizer {
 public:
  std::string normalize(std::string text) const override { return unicode::nfc(text); }
};

class NfdNormalizer final : public Normalizer {
 public:
  std::string normalize(std::string text) const override { return unicode::nfd(text); }
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string normalize(std::string text) const override { return text.empty() ? text : prefix_ + text; }

 private:
  std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(TextPattern pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::string normalize(std::string text) const override { return pattern_.replace_all(text, content_); }

 private:
  TextPattern pattern_;
  std::string content_;
};

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  std::string normalize(std::string text) const override {
    size_t begin = 0, end = text.size();
    char32_t c;
    while (left_ && begin < end) {
      const size_t length = unicode::decode_utf8(text, begin, c);
      if (length == 0 || !unicode::is_white_space(c)) break;
      begin += length;
    }
    while (right_ && end > begin) {
      size_t start = end - 1;
      while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
      const size_t length = unicode::decode_utf8(text, start, c);
      if (length == 0 || !unicode::is_white_space(c)) break;
      end = start;
    }
    return text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  std::string normalize(std::string text) const override {
    for (const auto& step : steps_) text = step->normalize(std::move(text));
    return text;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const Field& spec) {
  const std::string type = spec.at("type").str();
  if (type == "NFC") return std::make_unique<NfcNormalizer>();
  if (type == "NFD") return std::make_unique<NfdNormalizer>();
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(spec.at("prepend").str());
  if (type == "Replace") return std::make_unique<ReplaceNormalizer>(TextPattern(spec.at("pattern")), spec.at("content").str());
  if (type == "Strip") return std::make_unique<StripNormalizer>(spec.bool_or("strip_left", true), spec.bool_or("strip_right", true));
  if (type == "Sequence") {
    const Field list = spec.at("normalizers");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) steps.push_back(make_normalizer(list.at(i)));
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  spec.at("type").fail("unsupported normalizer type '" + type +
                       "' (supported: NFC, NFD, Prepend, Replace, Strip, Sequence)");
}

}  // namespace qs
