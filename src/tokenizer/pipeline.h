#pragma once
// The stages of a Hugging Face tokenizer around its model, built from the tokenizer.json sections
// of the same names: normalizer -> pre_tokenizer -> (model) -> post_processor, and decoder.
// Each factory throws qs::Error naming the file and field for an unknown or malformed component.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/json_field.h"

namespace qs {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string normalize(std::string text) const = 0;
};

// A piece of text between added tokens, being split into words by the pre-tokenizer.
struct PreToken {
  std::string text;
  bool at_start = false;  // begins at offset 0 of the input (Metaspace prepend_scheme "first")
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their splits (in order); empty pieces are dropped.
  virtual void split(std::vector<PreToken>& pieces) const = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Adds the template's special tokens around `ids` (only called with add_special_tokens).
  virtual void process(std::vector<int32_t>& ids) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // tokenizers' Decoder::decode_chain: tokens in, transformed tokens out (joined by the caller).
  virtual std::vector<std::string> decode_chain(std::vector<std::string> tokens) const = 0;
};

std::unique_ptr<Normalizer> make_normalizer(const tokenizer_json::Field& spec);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const tokenizer_json::Field& spec);
std::unique_ptr<PostProcessor> make_post_processor(const tokenizer_json::Field& spec);
std::unique_ptr<Decoder> make_decoder(const tokenizer_json::Field& spec);

// Byte-level alphabet of GPT-2: every byte maps to a printable code point (bytes_to_unicode()).
const std::string& byte_level_char(unsigned char byte);  // UTF-8 of the code point for `byte`
int byte_level_byte(char32_t code_point);                // inverse, -1 when not in the alphabet

}  // namespace qs
