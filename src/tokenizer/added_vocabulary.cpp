#include "tokenizer/added_vocabulary.h"

#include "tokenizer/unicode.h"

namespace qs {
namespace {

// Rust regex \w (Unicode word character): letters, marks, decimal numbers, connector punctuation.
bool is_word_char(char32_t c) {
  const std::string_view category = unicode::category_name(c);
  return category[0] == 'L' || category[0] == 'M' || category == "Nd" || category == "Pc" || category == "Nl";
}

char32_t last_char(std::string_view text, size_t& begin) {
  begin = text.size() - 1;
  while (begin > 0 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) --begin;
  char32_t c = 0xFFFD;
  unicode::decode_utf8(text, begin, c);
  return c;
}

}  // namespace

void AddedVocabulary::Trie::insert(std::string_view pattern, int32_t token_index) {
  int32_t node = 0;
  for (unsigned char byte : pattern) {
    auto it = children[static_cast<size_t>(node)].find(byte);
    if (it == children[static_cast<size_t>(node)].end()) {
      const auto child = static_cast<int32_t>(children.size());
      children[static_cast<size_t>(node)].emplace(byte, child);
      children.emplace_back();
      terminal.push_back(-1);
      node = child;
    } else {
      node = it->second;
    }
  }
  first_byte[static_cast<unsigned char>(pattern[0])] = true;
  // tokenizers builds its automaton from a hash map, so for two tokens with the same pattern the
  // winner is unspecified; keep the first.
  if (terminal[static_cast<size_t>(node)] < 0) terminal[static_cast<size_t>(node)] = token_index;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer) : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    by_id_[token.id] = i;
    std::string form = token.content;
    if (token.normalized && normalizer != nullptr && !form.empty()) form = normalizer->normalize(form);
    normalized_forms_.push_back(form);
    if (token.content.empty()) continue;  // tokenizers ignores empty added tokens
    if (token.normalized) {
      if (!form.empty()) normalized_trie_.insert(form, static_cast<int32_t>(i));
    } else {
      raw_trie_.insert(token.content, static_cast<int32_t>(i));
    }
  }
}

const AddedToken* AddedVocabulary::find(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<int32_t> AddedVocabulary::find(std::string_view content) const {
  for (const AddedToken& token : tokens_) {
    if (token.content == content) return token.id;
  }
  return std::nullopt;
}

const std::string* AddedVocabulary::decoding_form(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &normalized_forms_[it->second];
}

std::vector<AddedVocabulary::Match> AddedVocabulary::find_matches(std::string_view text, const Trie& trie) const {
  std::vector<Match> matches;
  size_t covered = 0;  // end of the previous match
  size_t pos = 0;
  while (!trie.empty() && pos < text.size()) {
    if (!trie.first_byte[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    // Longest pattern starting at pos.
    int32_t node = 0, best = -1;
    size_t best_end = pos;
    for (size_t i = pos; i < text.size(); ++i) {
      const auto& children = trie.children[static_cast<size_t>(node)];
      auto it = children.find(static_cast<unsigned char>(text[i]));
      if (it == children.end()) break;
      node = it->second;
      if (trie.terminal[static_cast<size_t>(node)] >= 0) best = trie.terminal[static_cast<size_t>(node)], best_end = i + 1;
    }
    if (best < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[static_cast<size_t>(best)];
    size_t begin = pos, end = best_end;
    pos = best_end;  // the automaton continues after the match even when the match is discarded
    if (token.single_word) {
      size_t ignored;
      const bool word_before = begin > 0 && is_word_char(last_char(text.substr(0, begin), ignored));
      char32_t next = 0;
      const bool word_after = end < text.size() && unicode::decode_utf8(text, end, next) > 0 && is_word_char(next);
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      size_t start = begin;
      while (start > 0) {
        size_t char_begin;
        if (!unicode::is_white_space(last_char(text.substr(0, start), char_begin))) break;
        start = char_begin;
      }
      begin = std::max(start, covered);
    }
    if (token.rstrip) {
      char32_t c;
      size_t length;
      while (end < text.size() && (length = unicode::decode_utf8(text, end, c)) > 0 && unicode::is_white_space(c)) end += length;
    }
    if (covered < begin) matches.push_back({covered, begin, -1});
    matches.push_back({begin, end, best});
    covered = end;
  }
  if (covered < text.size()) matches.push_back({covered, text.size(), -1});
  return matches;
}

std::vector<TextPiece> AddedVocabulary::split(std::string_view text, const Normalizer* normalizer) const {
  std::vector<TextPiece> pieces;
  for (const Match& raw : find_matches(text, raw_trie_)) {
    const std::string_view slice = text.substr(raw.begin, raw.end - raw.begin);
    if (raw.token_index >= 0) {
      pieces.push_back({std::string(slice), tokens_[static_cast<size_t>(raw.token_index)].id, raw.begin == 0});
      continue;
    }
    const std::string normalized = normalizer != nullptr ? normalizer->normalize(std::string(slice)) : std::string(slice);
    for (const Match& m : find_matches(normalized, normalized_trie_)) {
      if (m.end == m.begin) continue;
      TextPiece piece{normalized.substr(m.begin, m.end - m.begin), std::nullopt, raw.begin == 0 && m.begin == 0};
      if (m.token_index >= 0) piece.token = tokens_[static_cast<size_t>(m.token_index)].id;
      pieces.push_back(std::move(piece));
    }
  }
  return pieces;
}

}  // namespace qs
