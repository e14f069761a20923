#include "tokenizer/bpe_model.h"

#include <cstdio>
#include <mutex>
#include <queue>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace qs {
namespace {

constexpr size_t kCacheCapacity = 200'000;   // words
constexpr size_t kMaxCachedWordBytes = 256;

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// One symbol of a word being merged: a doubly linked list over the initial characters.
struct Symbol {
  int32_t id;
  int32_t prev, next;  // indexes, -1 at the ends
  size_t bytes;        // 0 once merged into its left neighbour
};

struct Merge {
  size_t pos;
  uint32_t rank;
  int32_t new_id;
  // std::priority_queue is a max-heap: "less" means a higher rank, then a later position.
  bool operator<(const Merge& other) const { return rank != other.rank ? rank > other.rank : pos > other.pos; }
};

}  // namespace

BpeModel::BpeModel(Vocabulary vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                   BpeOptions options, const std::string& where)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  int32_t max_id = -1;
  for (const auto& [token, id] : vocab_) {
    if (id < 0) throw Error(where, "model.vocab: negative id " + std::to_string(id) + " for token '" + token + "'");
    if (id > 50'000'000) throw Error(where, "model.vocab: absurd id " + std::to_string(id));
    max_id = std::max(max_id, id);
  }
  tokens_.assign(static_cast<size_t>(max_id + 1), std::string());
  present_.assign(tokens_.size(), false);
  for (const auto& [token, id] : vocab_) {
    tokens_[static_cast<size_t>(id)] = token;
    present_[static_cast<size_t>(id)] = true;
  }
  const size_t prefix_length = options_.continuing_subword_prefix.size();
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const auto lookup = [&](const std::string& token) {
      auto it = vocab_.find(token);
      if (it == vocab_.end()) {
        throw Error(where, "model.merges[" + std::to_string(rank) + "]: token '" + token + "' is not in the vocabulary");
      }
      return it->second;
    };
    const int32_t left_id = lookup(left);
    const int32_t right_id = lookup(right);
    std::string merged = left;
    if (prefix_length > 0 && right.compare(0, prefix_length, options_.continuing_subword_prefix) == 0) {
      merged += right.substr(prefix_length);
    } else {
      merged += right;
    }
    // A later duplicate overrides an earlier one, as in `tokenizers` (its merge map is collected in order).
    merges_[pair_key(left_id, right_id)] = {static_cast<uint32_t>(rank), lookup(merged)};
  }
  if (options_.unk_token) {
    auto it = vocab_.find(*options_.unk_token);
    if (it != vocab_.end()) unk_id_ = it->second;
  }
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size() || !present_[static_cast<size_t>(id)]) return nullptr;
  return &tokens_[static_cast<size_t>(id)];
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    if (auto id = token_to_id(word)) {
      out.push_back(*id);
      return;
    }
  }
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(word);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t start = out.size();
  merge_word(word, out);
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) {
      cache_.emplace(std::string(word), std::vector<int32_t>(out.begin() + static_cast<std::ptrdiff_t>(start), out.end()));
    }
  }
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  // 1. Initial symbols: one per character (tokenizers: BPE::merge_word).
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  const auto add = [&](int32_t id, size_t bytes) {
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1, bytes});
    if (index > 0) symbols[static_cast<size_t>(index - 1)].next = index;
  };
  int32_t pending_unk = -1;  // an unknown token not yet added (-1: none) and its byte length
  size_t pending_unk_bytes = 0;
  std::string piece;
  for (size_t pos = 0; pos < word.size();) {
    const size_t length = std::min(unicode::utf8_length(static_cast<unsigned char>(word[pos])), word.size() - pos);
    const size_t end = pos + length;
    piece.clear();
    if (pos > 0) piece += options_.continuing_subword_prefix;
    piece.append(word.substr(pos, length));
    if (end == word.size()) piece += options_.end_of_word_suffix;
    if (auto it = vocab_.find(piece); it != vocab_.end()) {
      if (pending_unk >= 0) add(pending_unk, pending_unk_bytes), pending_unk = -1;
      add(it->second, length);
      pos = end;
      continue;
    }
    if (options_.byte_fallback) {
      std::vector<int32_t> byte_ids;
      for (size_t i = pos; i < end; ++i) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", static_cast<unsigned char>(word[i]));
        auto it = vocab_.find(std::string_view(name));
        if (it == vocab_.end()) break;
        byte_ids.push_back(it->second);
      }
      if (byte_ids.size() == length) {
        // tokenizers does not flush a pending unknown token before byte-fallback tokens.
        for (int32_t id : byte_ids) add(id, 1);
        pos = end;
        continue;
      }
    }
    if (unk_id_) {
      if (pending_unk >= 0 && options_.fuse_unk) {
        pending_unk_bytes += length;
      } else {
        if (pending_unk >= 0) add(pending_unk, pending_unk_bytes);
        pending_unk = *unk_id_;
        pending_unk_bytes = length;
      }
    }
    pos = end;
  }
  if (pending_unk >= 0) add(pending_unk, pending_unk_bytes);

  // 2. Merge the lowest-ranked pair first (ties: leftmost), as tokenizers' Word::merge_all.
  std::priority_queue<Merge> queue;
  const auto find_merge = [&](const Symbol& left, const Symbol& right) -> const std::pair<uint32_t, int32_t>* {
    auto it = merges_.find(pair_key(left.id, right.id));
    return it == merges_.end() ? nullptr : &it->second;
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const auto* m = find_merge(symbols[i], symbols[i + 1])) queue.push({i, m->first, m->second});
  }
  while (!queue.empty()) {
    const Merge top = queue.top();
    queue.pop();
    Symbol& current = symbols[top.pos];
    if (current.bytes == 0 || current.next == -1) continue;
    const size_t next_pos = static_cast<size_t>(current.next);
    const Symbol right = symbols[next_pos];
    const auto* still = find_merge(current, right);
    if (still == nullptr || still->second != top.new_id) continue;  // stale queue entry
    current.id = top.new_id;
    current.bytes += right.bytes;
    current.next = right.next;
    symbols[next_pos].bytes = 0;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = static_cast<int32_t>(top.pos);
    if (current.prev >= 0) {
      if (const auto* m = find_merge(symbols[static_cast<size_t>(current.prev)], current)) {
        queue.push({static_cast<size_t>(current.prev), m->first, m->second});
      }
    }
    if (current.next >= 0) {
      if (const auto* m = find_merge(current, symbols[static_cast<size_t>(current.next)])) {
        queue.push({top.pos, m->first, m->second});
      }
    }
  }
  for (const Symbol& symbol : symbols) {
    if (symbol.bytes != 0) out.push_back(symbol.id);
  }
}

}  // namespace qs
