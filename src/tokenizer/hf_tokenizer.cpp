#include "tokenizer/hf_tokenizer.h"

#include <algorithm>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace qs {

HfTokenizer::HfTokenizer(TokenizerParts parts)
    : model_(std::move(parts.model)),
      normalizer_(std::move(parts.normalizer)),
      added_(std::move(parts.added_tokens), normalizer_.get()),
      pre_tokenizer_(std::move(parts.pre_tokenizer)),
      post_processor_(std::move(parts.post_processor)),
      decoder_(std::move(parts.decoder)),
      bos_id_(parts.bos_id),
      eos_id_(parts.eos_id) {}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  const size_t invalid = unicode::find_invalid_utf8(text);
  if (invalid != std::string_view::npos) {
    throw Error("tokenizer input", "text is not valid UTF-8 (byte " + std::to_string(invalid) + ")");
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<PreToken> words;
  for (TextPiece& piece : added_.split(text, normalizer_.get())) {
    if (piece.token) {
      ids.push_back(*piece.token);
      continue;
    }
    words.clear();
    words.push_back({std::move(piece.text), piece.at_start});
    if (pre_tokenizer_) pre_tokenizer_->split(words);
    for (const PreToken& word : words) model_->tokenize(word.text, ids);
  }
  if (add_special_tokens && post_processor_) post_processor_->process(ids);
  return ids;
}

std::string HfTokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (const AddedToken* added = added_.find(id)) {
      if (skip_special_tokens && added->special) continue;
      tokens.push_back(*added_.decoding_form(id));
    } else if (const std::string* token = model_->id_to_token(id)) {
      tokens.push_back(*token);
    }  // unknown ids are skipped, as in tokenizers
  }
  std::string text;
  if (decoder_) {
    for (const std::string& part : decoder_->decode_chain(std::move(tokens))) text += part;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
  }
  return text;
}

int32_t HfTokenizer::vocab_size() const {
  int32_t bound = model_->id_bound();
  for (const AddedToken& token : added_.tokens()) bound = std::max(bound, token.id + 1);
  return bound;
}

std::optional<int32_t> HfTokenizer::token_to_id(std::string_view token) const {
  if (auto id = added_.find(token)) return id;
  return model_->token_to_id(token);
}

std::optional<std::string> HfTokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* added = added_.find(id)) return added->content;
  if (const std::string* token = model_->id_to_token(id)) return *token;
  return std::nullopt;
}

}  // namespace qs
