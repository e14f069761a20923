#pragma once
// What evaluation needs from a model: lm-evaluation-harness's two request primitives.
// Implemented by the transformer (model/) for dense and GPTQ checkpoints; eval/ depends only
// on this interface.
#include <cstdint>
#include <functional>
#include <vector>

namespace qs {

class Tokenizer;

struct LoglikelihoodRequest {
  std::vector<int32_t> context_tokens;       // includes BOS when the caller wants one
  std::vector<int32_t> continuation_tokens;  // non-empty
};

struct LoglikelihoodResult {
  double logprob = 0;      // sum over continuation tokens of log p(token | everything before it)
  bool is_greedy = false;  // every continuation token is the argmax of its position's logits
};

struct GenerationRequest {
  std::vector<int32_t> context_tokens;
  int max_new_tokens = 256;
  // Called after each generated token with everything generated so far; true ends generation
  // (the caller checks its stop strings on the decoded text). EOS always ends generation.
  std::function<bool(const std::vector<int32_t>& generated)> should_stop;
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  // Requests sharing a context are computed with one context pass (KV cache reuse); order of
  // results equals order of requests.
  virtual std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& requests) = 0;
  // Greedy decoding; returns the generated tokens of each request (stop tokens included as made).
  virtual std::vector<std::vector<int32_t>> generate_until(const std::vector<GenerationRequest>& requests) = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual int32_t max_context() const = 0;  // tokens
};

}  // namespace qs
