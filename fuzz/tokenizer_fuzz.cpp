// libFuzzer target for the tokenizer stage. The first input byte picks what the rest is:
//   0: a tokenizer.json document (loaded, then used to encode and decode a few strings),
//   1: text encoded and decoded by the real tokenizers in ../shared (TinyStories, GPT-2, Qwen3),
//   2: a pre-tokenizer regex and a text to match it against ("pattern\0text").
// Bad input must end in qs::Error, never in a crash, hang or sanitizer report.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/shared_paths.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/regex.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"
#include "tokenizer/unicode.h"

namespace {

void exercise(const qs::Tokenizer& tokenizer, const std::string& text) {
  try {
    const std::vector<int32_t> ids = tokenizer.encode(text, true);
    (void)tokenizer.decode(ids, false);
    (void)tokenizer.decode(ids, true);
  } catch (const qs::Error&) {
  }
  // Arbitrary ids (including out-of-range ones) must decode without crashing.
  std::vector<int32_t> ids;
  for (size_t i = 0; i + 1 < text.size() && ids.size() < 64; i += 2) {
    ids.push_back(static_cast<int32_t>((static_cast<uint8_t>(text[i]) << 8 | static_cast<uint8_t>(text[i + 1])) - 512));
  }
  (void)tokenizer.decode(ids, false);
}

const std::vector<std::unique_ptr<qs::Tokenizer>>& real_tokenizers() {
  static const std::vector<std::unique_ptr<qs::Tokenizer>> tokenizers = [] {
    std::vector<std::unique_ptr<qs::Tokenizer>> loaded;
    for (const char* path : {"models/tinystories-656k", "hf/openai-community-gpt2", "hf/Qwen-Qwen3-tokenizer"}) {
      if (std::filesystem::exists(qs::shared_path(path))) loaded.push_back(qs::Tokenizer::load(qs::shared_path(path)));
    }
    return loaded;
  }();
  return tokenizers;
}

}  // namespace

// Loads the real tokenizers (Qwen3's 151k-token vocabulary takes tens of seconds under ASan)
// once before fuzzing starts, so the load does not count against the first unit's -timeout.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  (void)real_tokenizers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      const nlohmann::json document = nlohmann::json::parse(rest, nullptr, false);
      if (document.is_discarded()) return 0;
      try {
        const qs::HfTokenizer tokenizer(qs::tokenizer_files::parts_from_tokenizer_json(document, "<fuzz>"));
        for (const char* text : {"", "Hello world", " ab  ab\r\n\t12345 <|endoftext|> \xc3\xa9\xe4\xb8\xad"}) exercise(tokenizer, text);
      } catch (const qs::Error&) {
      }
      return 0;
    }
    case 1:
      for (const auto& tokenizer : real_tokenizers()) exercise(*tokenizer, rest);
      return 0;
    default: {
      const size_t split = rest.find('\0');
      if (split == std::string::npos) return 0;
      try {
        const qs::Regex regex(rest.substr(0, split), "<fuzz>");
        std::u32string text;
        const std::string bytes = rest.substr(split + 1);
        for (size_t pos = 0; pos < bytes.size() && text.size() < 256;) {
          char32_t c = 0xFFFD;
          const size_t length = qs::unicode::decode_utf8(bytes, pos, c);
          text.push_back(c);
          pos += length == 0 ? 1 : length;
        }
        (void)regex.find_all(text);
      } catch (const qs::Error&) {
      }
      return 0;
    }
  }
}
