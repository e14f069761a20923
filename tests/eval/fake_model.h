#pragma once
// A deterministic stand-in for the transformer, for unit tests of the harness logic only
// (request construction, batching, metrics). Real-model checks use the shipped model.
#include <string>
#include <vector>

#include "model/language_model.h"
#include "tokenizer/tokenizer.h"

namespace qs::test {

// Byte tokens (id = byte + 3) except that a space followed by a letter is one token
// (id = 300 + letter), so tokenization merges across word boundaries as BPE does.
// BOS = 1 (added with special tokens), EOS = 2.
class FakeTokenizer : public Tokenizer {
 public:
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = true) const override;
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const override;
  int32_t vocab_size() const override { return 600; }
  std::optional<int32_t> bos_id() const override { return 1; }
  std::optional<int32_t> eos_id() const override { return 2; }
  std::optional<int32_t> token_to_id(std::string_view) const override { return std::nullopt; }
  std::optional<std::string> id_to_token(int32_t) const override { return std::nullopt; }
};

// logprob of a request = -sum over continuation tokens of (1 + (token + position of the token
// in the whole sequence) % 5) / 10; greedy iff every continuation token is even. Generation
// emits the tokens of `script` (then EOS), consulting should_stop after each token.
class FakeModel : public LanguageModel {
 public:
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& requests) override;
  std::vector<std::vector<int32_t>> generate_until(const std::vector<GenerationRequest>& requests) override;
  const Tokenizer& tokenizer() const override { return tokenizer_; }
  int32_t max_context() const override { return max_context_; }

  static LoglikelihoodResult expected(const LoglikelihoodRequest& request);

  int32_t max_context_ = 4096;
  std::string script = " 42.\nQuestion: more";
  std::vector<size_t> batch_sizes;  // requests per loglikelihood call
  std::vector<LoglikelihoodRequest> seen;

 private:
  FakeTokenizer tokenizer_;
};

}  // namespace qs::test
