#pragma once
// Added tokens (special or not) of a Hugging Face tokenizer, matched in the text before
// pre-tokenization exactly as tokenizers' AddedVocabulary::extract_and_normalize does:
//  1. tokens with normalized=false are found in the raw text (leftmost-longest),
//  2. every remaining piece is normalized, then tokens with normalized=true are found in it,
//     matched by their own normalized form.
// Flags single_word, lstrip and rstrip widen or veto a match as in tokenizers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/pipeline.h"

namespace qs {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

// A piece of the input after added-token extraction: an added token id, or normalized text.
struct TextPiece {
  std::string text;
  std::optional<int32_t> token;
  bool at_start = false;  // the piece begins at offset 0 of the input
};

class AddedVocabulary {
 public:
  // `normalizer` may be null; the tokens' normalized forms are computed with it.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  std::vector<TextPiece> split(std::string_view text, const Normalizer* normalizer) const;

  const AddedToken* find(int32_t id) const;
  std::optional<int32_t> find(std::string_view content) const;
  // The string decoders see for this id (tokenizers' simple_id_to_token: the normalized form).
  const std::string* decoding_form(int32_t id) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // A byte trie over token patterns for leftmost-longest matching.
  struct Trie {
    std::vector<std::unordered_map<unsigned char, int32_t>> children{1};
    std::vector<int32_t> terminal{-1};  // index into tokens_, -1 if none
    bool first_byte[256] = {};
    void insert(std::string_view pattern, int32_t token_index);
    bool empty() const { return children.size() == 1; }
  };
  struct Match {
    size_t begin, end;
    int32_t token_index;  // -1 for text between tokens
  };
  std::vector<Match> find_matches(std::string_view text, const Trie& trie) const;

  std::vector<AddedToken> tokens_;
  std::vector<std::string> normalized_forms_;  // per token: its pattern in the normalized text
  std::unordered_map<int32_t, size_t> by_id_;
  Trie raw_trie_, normalized_trie_;
};

}  // namespace qs
