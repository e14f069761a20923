#pragma once
// Prompt construction as lm-eval's Task.fewshot_context + construct_requests do it (plain text,
// no chat template): description, then k examples "q<target_delimiter>a<fewshot_delimiter>",
// then the document's q; multiple-choice requests append "<target_delimiter>choice".
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eval/python_random.h"
#include "eval/task.h"

namespace qs {

// lm-eval's ContextSampler for one task: a Python Random(seed) shared by all documents in
// order, or the first k examples (first_n). Pools are per group (MMLU subject).
class FewshotSampler {
 public:
  // `pool_is_eval_split`: the pool holds the evaluated documents themselves (same ids).
  FewshotSampler(const TaskSpec& spec, const std::vector<Doc>& pool, bool pool_is_eval_split, uint64_t seed);
  // Throws qs::Error when the pool is too small for k examples.
  std::vector<const Doc*> sample(const Doc& doc, int k);

 private:
  const TaskSpec& spec_;
  bool pool_is_eval_split_;
  std::map<std::string, std::vector<const Doc*>> pools_;
  PythonRandom random_;
};

struct TextRequest {
  std::string context;
  std::string continuation;  // "" for generation / rolling requests
};

// The prompt(s) of one document: one context, or one per choice for multiple-input tasks.
std::vector<std::string> render_contexts(const TaskSpec& spec, const Doc& doc, const std::vector<const Doc*>& fewshot);

// lm-eval's requests for one document, in lm-eval's order (choices in order).
std::vector<TextRequest> build_requests(const TaskSpec& spec, const Doc& doc, const std::vector<const Doc*>& fewshot);

// The documents a run evaluates (the first `limit`, per group for grouped tasks, as lm-eval
// limits each subtask) and their requests, few-shot examples drawn in document order.
struct PreparedRequests {
  std::vector<const Doc*> docs;
  std::vector<std::vector<TextRequest>> requests;  // per document
};
PreparedRequests prepare_requests(const TaskSpec& spec, const std::vector<Doc>& docs, const std::vector<Doc>& pool,
                                  bool pool_is_eval_split, int shots, std::optional<int64_t> limit, uint64_t seed);

}  // namespace qs
