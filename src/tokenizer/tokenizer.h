#pragma once
// Hugging Face tokenizers, loaded from a model folder: tokenizer.json, or vocab.json + merges.txt
// (+ tokenizer_config.json / special_tokens_map.json). Two BPE families: byte-level BPE (GPT-2,
// GPT-NeoX/Pythia, Llama-3, Qwen2/2.5/3) and SentencePiece-style BPE with byte fallback (Llama-2,
// TinyStories). encode() produces exactly the ids Hugging Face's `tokenizers` produces.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Loads from a folder (tokenizer.json preferred) or a tokenizer.json file path.
  // Throws qs::Error naming the file and the item that is malformed.
  static std::unique_ptr<Tokenizer> load(const std::string& path);

  // add_special_tokens: apply the post-processor (BOS/EOS as the tokenizer config says).
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = true) const = 0;
  virtual std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const = 0;

  virtual int32_t vocab_size() const = 0;
  virtual std::optional<int32_t> bos_id() const = 0;
  virtual std::optional<int32_t> eos_id() const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(int32_t id) const = 0;
};

}  // namespace qs
