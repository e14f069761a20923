#pragma once
// Text requests to token requests, as lm-eval's HF backend tokenizes them (TemplateLM.
// _encode_pair / loglikelihood, HFLM.tok_encode):
//  * trailing whitespace of the context moves to the front of the continuation;
//  * continuation tokens = encode(context + continuation)[len(encode(context)):];
//  * special tokens as the tokenizer adds them by default (BOS for Llama-style tokenizers),
//    or none with add_special_tokens = false (the older no-BOS convention);
//  * an empty context is replaced by the prefix token (BOS, else EOS);
//  * contexts are cut from the left so that context + continuation - 1 <= max_context.
#include <cstdint>
#include <string>
#include <vector>

#include "model/language_model.h"
#include "tokenizer/tokenizer.h"

namespace qs {

struct TokenizedPair {
  std::vector<int32_t> context;
  std::vector<int32_t> continuation;  // may come out empty (reported by the caller)
  bool truncated = false;             // context was cut on the left to fit max_context
};

TokenizedPair encode_pair(const Tokenizer& tokenizer, const std::string& context, const std::string& continuation,
                          bool add_special_tokens, int32_t max_context);

// Generation context: encode(context) cut on the left to max_context - max_gen_toks tokens.
std::vector<int32_t> encode_generation_context(const Tokenizer& tokenizer, const std::string& context,
                                               bool add_special_tokens, int32_t max_context, int max_gen_toks,
                                               bool* truncated);

// lm-eval's rolling windows for loglikelihood_rolling (get_rolling_token_windows +
// make_disjoint_window, context_len = 1): every token of `tokens` is predicted exactly once,
// the first from the prefix token.
std::vector<LoglikelihoodRequest> rolling_windows(const std::vector<int32_t>& tokens, int32_t prefix_token, int32_t max_context);

}  // namespace qs
