#pragma once
// qs::LanguageModel over a Transformer: lm-evaluation-harness's `loglikelihood` and greedy
// `generate_until`, batched, with shared contexts computed once.
//
// loglikelihood: requests are grouped by (left-truncated) context; each distinct context runs
// once into a KV cache, then all its continuations run as one batch reading that cache
// read-only. Groups are processed longest first, several per forward pass up to a token budget.
// Truncation as lm-eval: the model sees (context + continuation)[:-1], left-truncated to
// max_context tokens; a continuation longer than that is a qs::Error.
//
//   TransformerLM lm(Transformer::load(dir), Tokenizer::load(dir));
//   auto results = lm.loglikelihood({{ctx_ids, cont_ids}, ...});
#include <memory>
#include <set>

#include "model/language_model.h"
#include "model/transformer.h"

namespace qs {

struct TransformerLMOptions {
  int64_t max_batch_tokens = 2048;  // tokens per forward pass (bounds KV cache and activation memory)
  int64_t max_context = 0;          // 0: the config's max_position_embeddings
  int64_t max_generation_batch = 8; // sequences decoded together
};

class TransformerLM : public LanguageModel {
 public:
  // `tokenizer` may be null for callers that only pass token ids (tokenizer() then throws).
  TransformerLM(std::unique_ptr<Transformer> model, std::unique_ptr<Tokenizer> tokenizer,
                TransformerLMOptions options = {});
  ~TransformerLM() override;

  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& requests) override;
  std::vector<std::vector<int32_t>> generate_until(const std::vector<GenerationRequest>& requests) override;
  const Tokenizer& tokenizer() const override;
  int32_t max_context() const override;

  Transformer& model() { return *model_; }
  const Transformer& model() const { return *model_; }
  const std::set<int32_t>& eos_ids() const { return eos_ids_; }

 private:
  std::unique_ptr<Transformer> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  TransformerLMOptions options_;
  std::set<int32_t> eos_ids_;
};

}  // namespace qs
