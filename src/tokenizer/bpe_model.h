#pragma once
// The BPE model of Hugging Face `tokenizers` (models/bpe): a word (one pre-token) is split into
// characters looked up in the vocabulary (with <0xNN> byte fallback or an unknown token), then the
// adjacent pair with the lowest merge rank is merged, leftmost first, until no merge applies.
// Results are cached per word.
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace qs {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using Vocabulary = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;  // prepended to every non-initial character
  std::string end_of_word_suffix;         // appended to the last character
  bool fuse_unk = false;                  // consecutive unknown characters become one unk token
  bool byte_fallback = false;             // unknown characters become their <0xNN> byte tokens
  bool ignore_merges = false;             // a word that is itself in the vocabulary is one token
};

class BpeModel {
 public:
  // `where` names the file for errors (merges referencing unknown tokens, duplicate ids...).
  BpeModel(Vocabulary vocab, const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
           const std::string& where);

  // Appends the ids of `word` to `out`. Thread-safe.
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  const std::string* id_to_token(int32_t id) const;  // nullptr when the id is not in the vocabulary
  int32_t id_bound() const { return static_cast<int32_t>(tokens_.size()); }  // 1 + largest id

 private:
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;

  Vocabulary vocab_;
  std::vector<std::string> tokens_;  // id -> token ("" for ids absent from the vocabulary)
  std::vector<bool> present_;
  std::unordered_map<uint64_t, std::pair<uint32_t, int32_t>> merges_;  // (left << 32 | right) -> (rank, new id)
  BpeOptions options_;
  std::optional<int32_t> unk_id_;

  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache_;
};

}  // namespace qs
