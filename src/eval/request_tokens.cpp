#include "eval/request_tokens.h"

#include <algorithm>

#include "core/error.h"
#include "eval/text_util.h"

namespace qs {
namespace {

int32_t prefix_token(const Tokenizer& tokenizer) {
  if (auto bos = tokenizer.bos_id()) return *bos;
  if (auto eos = tokenizer.eos_id()) return *eos;
  throw Error("tokenizer", "has neither BOS nor EOS to stand for an empty context");
}

void cut_left(std::vector<int32_t>& tokens, size_t keep, bool& truncated) {
  if (tokens.size() > keep) {
    tokens.erase(tokens.begin(), tokens.end() - static_cast<std::ptrdiff_t>(keep));
    truncated = true;
  }
}

}  // namespace

TokenizedPair encode_pair(const Tokenizer& tokenizer, const std::string& context, const std::string& continuation,
                          bool add_special_tokens, int32_t max_context) {
  TokenizedPair pair;
  if (context.empty()) {
    pair.continuation = tokenizer.encode(continuation, false);
    int32_t prefix = prefix_token(tokenizer);
    if (!pair.continuation.empty() && pair.continuation.front() == prefix) {
      pair.context = {prefix};
      pair.continuation.erase(pair.continuation.begin());
    } else {
      pair.context = {prefix};
    }
  } else {
    size_t n_space = text::trailing_whitespace_bytes(context);
    std::string ctx = context.substr(0, context.size() - n_space);
    std::string cont = context.substr(context.size() - n_space) + continuation;
    std::vector<int32_t> whole = tokenizer.encode(ctx + cont, add_special_tokens);
    pair.context = tokenizer.encode(ctx, add_special_tokens);
    size_t n_context = std::min(pair.context.size(), whole.size());
    pair.continuation.assign(whole.begin() + static_cast<std::ptrdiff_t>(n_context), whole.end());
  }
  // lm-eval feeds (context + continuation)[-(max_length + 1):][:-1]: keep the last tokens.
  auto budget = static_cast<int64_t>(max_context) + 1 - static_cast<int64_t>(pair.continuation.size());
  cut_left(pair.context, static_cast<size_t>(std::max<int64_t>(budget, 1)), pair.truncated);
  return pair;
}

std::vector<int32_t> encode_generation_context(const Tokenizer& tokenizer, const std::string& context,
                                               bool add_special_tokens, int32_t max_context, int max_gen_toks,
                                               bool* truncated) {
  require(max_context > max_gen_toks, "generation",
          "max_gen_toks " + std::to_string(max_gen_toks) + " must be below the model's context " + std::to_string(max_context));
  std::vector<int32_t> tokens = tokenizer.encode(context, add_special_tokens);
  bool cut = false;
  cut_left(tokens, static_cast<size_t>(max_context - max_gen_toks), cut);
  if (truncated != nullptr) *truncated = cut;
  return tokens;
}

std::vector<LoglikelihoodRequest> rolling_windows(const std::vector<int32_t>& tokens, int32_t prefix_token, int32_t max_context) {
  std::vector<LoglikelihoodRequest> windows;
  if (tokens.empty()) return windows;
  const size_t max_len = static_cast<size_t>(max_context);
  // First window: prefix + tokens[:max_len - 1] predicts tokens[:max_len].
  size_t first = std::min(max_len, tokens.size());
  LoglikelihoodRequest head;
  head.context_tokens = {prefix_token};
  head.continuation_tokens.assign(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(first));
  windows.push_back(std::move(head));
  size_t predicted = first;
  while (predicted < tokens.size()) {
    size_t window_pred = std::min(tokens.size() - predicted, max_len);
    size_t window_end = predicted + window_pred;
    // Input = tokens[window_end - max_len - 1 : window_end - 1]; the disjoint part: context is
    // everything before the predicted tokens.
    size_t start = window_end >= max_len + 1 ? window_end - max_len - 1 : 0;
    LoglikelihoodRequest window;
    window.context_tokens.assign(tokens.begin() + static_cast<std::ptrdiff_t>(start), tokens.begin() + static_cast<std::ptrdiff_t>(predicted));
    window.continuation_tokens.assign(tokens.begin() + static_cast<std::ptrdiff_t>(predicted), tokens.begin() + static_cast<std::ptrdiff_t>(window_end));
    windows.push_back(std::move(window));
    predicted = window_end;
  }
  return windows;
}

}  // namespace qs
