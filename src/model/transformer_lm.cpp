#include "model/transformer_lm.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "model/layer_ops.h"
#include "model/token_scorer.h"
#include "tokenizer/tokenizer.h"

namespace qs {

TransformerLM::TransformerLM(std::unique_ptr<Transformer> model, std::unique_ptr<Tokenizer> tokenizer,
                             TransformerLMOptions options)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), options_(options) {
  if (options_.max_context <= 0) options_.max_context = model_->config().max_position;
  options_.max_context = std::min(options_.max_context, model_->config().max_position);
  for (int32_t id : model_->config().eos_token_ids) eos_ids_.insert(id);
  if (tokenizer_ && tokenizer_->eos_id()) eos_ids_.insert(*tokenizer_->eos_id());
}

TransformerLM::~TransformerLM() = default;

const Tokenizer& TransformerLM::tokenizer() const {
  require(tokenizer_ != nullptr, "TransformerLM", "no tokenizer was loaded with this model");
  return *tokenizer_;
}

int32_t TransformerLM::max_context() const { return static_cast<int32_t>(options_.max_context); }

namespace {

// One distinct context and the requests that continue it.
struct ContextGroup {
  std::vector<int32_t> context;
  std::vector<size_t> requests;
};

// Logits [rows.size(), vocab] of the given rows of a final-normed hidden matrix, in one lm_head
// pass (a BF16 lm_head is widened once per call, so rows are gathered rather than done singly).
std::vector<float> logits_of_rows(const Transformer& model, const std::vector<float>& hidden,
                                  const std::vector<int64_t>& rows) {
  const int64_t d = model.config().d_model, vocab = model.config().vocab_size;
  std::vector<float> gathered(rows.size() * static_cast<size_t>(d));
  for (size_t i = 0; i < rows.size(); ++i)
    std::copy_n(hidden.begin() + rows[i] * d, d, gathered.begin() + static_cast<int64_t>(i) * d);
  std::vector<float> logits(rows.size() * static_cast<size_t>(vocab));
  model.logits(gathered.data(), static_cast<int64_t>(rows.size()), logits.data());
  return logits;
}

}  // namespace

std::vector<LoglikelihoodResult> TransformerLM::loglikelihood(const std::vector<LoglikelihoodRequest>& requests) {
  const int64_t vocab = model_->config().vocab_size, d = model_->config().d_model;
  const int64_t max_ctx = options_.max_context;
  std::vector<LoglikelihoodResult> results(requests.size());

  // Truncate as lm-eval does ((ctx + cont)[-(max_ctx + 1):]) and group by context.
  std::map<std::vector<int32_t>, size_t> group_of;
  std::vector<ContextGroup> groups;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& request = requests[i];
    const std::string where = "loglikelihood request " + std::to_string(i);
    require(!request.continuation_tokens.empty(), where, "empty continuation");
    require(!request.context_tokens.empty(), where, "empty context (pass at least BOS/EOT, as lm-eval does)");
    const auto cont = static_cast<int64_t>(request.continuation_tokens.size());
    require(cont <= max_ctx, where, "continuation of " + std::to_string(cont) + " tokens exceeds the context window");
    for (int32_t id : request.continuation_tokens)
      require(id >= 0 && id < vocab, where, "continuation token id " + std::to_string(id) + " outside the vocabulary");
    const int64_t keep = std::min<int64_t>(static_cast<int64_t>(request.context_tokens.size()), max_ctx + 1 - cont);
    std::vector<int32_t> context(request.context_tokens.end() - keep, request.context_tokens.end());
    auto [it, inserted] = group_of.emplace(context, groups.size());
    if (inserted) groups.push_back({std::move(context), {}});
    groups[it->second].requests.push_back(i);
  }
  std::vector<size_t> order(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) order[g] = g;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return groups[a].context.size() > groups[b].context.size(); });

  for (size_t first = 0; first < order.size();) {
    // A batch of groups whose contexts fit the token budget (always at least one).
    size_t last = first;
    int64_t budget = 0;
    while (last < order.size() && (last == first || budget + static_cast<int64_t>(groups[order[last]].context.size()) <=
                                                        options_.max_batch_tokens)) {
      budget += static_cast<int64_t>(groups[order[last]].context.size());
      ++last;
    }
    // 1. Contexts, each into its own cache; keep each context's last hidden row (it predicts
    //    the first token of every continuation of that context).
    std::vector<KVCache> caches;
    caches.reserve(last - first);
    SequenceBatch batch;
    std::vector<int32_t> tokens;
    for (size_t g = first; g < last; ++g) {
      const auto& context = groups[order[g]].context;
      caches.emplace_back(model_->config());
      batch.push_back({static_cast<int64_t>(context.size()), &caches.back(), true});
      tokens.insert(tokens.end(), context.begin(), context.end());
    }
    std::vector<float> context_last(batch.size() * static_cast<size_t>(d));
    {
      const std::vector<float> hidden = model_->forward(tokens, batch);
      int64_t row = 0;
      for (size_t s = 0; s < batch.size(); ++s) {
        row += batch[s].n_tokens;
        std::copy_n(hidden.begin() + (row - 1) * d, d, context_last.begin() + static_cast<int64_t>(s) * d);
      }
    }
    // 2. Continuations (all but their last token) against their context's cache, read-only,
    //    packed into passes of at most max_batch_tokens; every continuation token is scored by
    //    the vocabulary-tiled scorer (model/token_scorer.h: no [rows, vocab] logits held).
    struct Pending {
      size_t request;
      size_t cache;
    };
    std::vector<Pending> pending;
    for (size_t g = first; g < last; ++g)
      for (size_t r : groups[order[g]].requests) pending.push_back({r, g - first});
    for (size_t p0 = 0; p0 < pending.size();) {
      size_t p1 = p0;
      int64_t n_tokens = 0;
      SequenceBatch cont_batch;
      std::vector<int32_t> cont_tokens;
      while (p1 < pending.size()) {
        const auto& cont = requests[pending[p1].request].continuation_tokens;
        const auto n = static_cast<int64_t>(cont.size()) - 1;
        if (p1 > p0 && n_tokens + n > options_.max_batch_tokens) break;
        cont_batch.push_back({n, &caches[pending[p1].cache], false});
        cont_tokens.insert(cont_tokens.end(), cont.begin(), cont.end() - 1);
        n_tokens += n;
        ++p1;
      }
      const std::vector<float> cont_hidden =
          n_tokens > 0 ? model_->forward(cont_tokens, cont_batch) : std::vector<float>{};
      // Rows in request order: token j of a continuation is predicted by its context's last
      // row (j = 0) or by continuation row j - 1; one scorer call, one pass over lm_head.
      const auto n_rows = static_cast<size_t>(n_tokens) + (p1 - p0);
      std::vector<float> rows(n_rows * static_cast<size_t>(d));
      std::vector<int32_t> targets;
      targets.reserve(n_rows);
      int64_t offset = 0;
      for (size_t p = p0; p < p1; ++p) {
        const auto& cont = requests[pending[p].request].continuation_tokens;
        auto out = rows.begin() + static_cast<int64_t>(targets.size()) * d;
        out = std::copy_n(context_last.begin() + static_cast<int64_t>(pending[p].cache) * d, d, out);
        std::copy_n(cont_hidden.begin() + offset * d, (static_cast<int64_t>(cont.size()) - 1) * d, out);
        targets.insert(targets.end(), cont.begin(), cont.end());
        offset += static_cast<int64_t>(cont.size()) - 1;
      }
      const std::vector<TokenScore> scores =
          score_next_tokens(*model_, rows.data(), static_cast<int64_t>(n_rows), targets.data());
      size_t next_score = 0;
      for (size_t p = p0; p < p1; ++p) {
        LoglikelihoodResult result{0.0, true};
        for (size_t j = 0; j < requests[pending[p].request].continuation_tokens.size(); ++j) {
          const TokenScore& score = scores[next_score++];
          result.logprob += score.logprob;
          result.is_greedy = result.is_greedy && score.is_argmax;
        }
        results[pending[p].request] = result;
      }
      p0 = p1;
    }
    first = last;
  }
  return results;
}

std::vector<std::vector<int32_t>> TransformerLM::generate_until(const std::vector<GenerationRequest>& requests) {
  const int64_t vocab = model_->config().vocab_size;
  std::vector<std::vector<int32_t>> outputs(requests.size());
  for (size_t first = 0; first < requests.size(); first += static_cast<size_t>(options_.max_generation_batch)) {
    const size_t last = std::min(requests.size(), first + static_cast<size_t>(options_.max_generation_batch));
    std::vector<KVCache> caches;
    caches.reserve(last - first);
    std::vector<int32_t> next(last - first);
    std::vector<int64_t> limit(last - first);
    std::vector<bool> active(last - first, true);
    // Prefill every context (left-truncated to leave room for the generated tokens).
    SequenceBatch batch;
    std::vector<int32_t> tokens;
    for (size_t i = first; i < last; ++i) {
      const auto& request = requests[i];
      require(!request.context_tokens.empty(), "generation request " + std::to_string(i), "empty context");
      const int64_t max_new = std::clamp<int64_t>(request.max_new_tokens, 0, options_.max_context - 1);
      const int64_t keep = std::min<int64_t>(static_cast<int64_t>(request.context_tokens.size()), options_.max_context - max_new);
      limit[i - first] = max_new;
      active[i - first] = max_new > 0;
      caches.emplace_back(model_->config());
      batch.push_back({keep, &caches.back(), true});
      tokens.insert(tokens.end(), request.context_tokens.end() - keep, request.context_tokens.end());
    }
    std::vector<float> hidden = model_->forward(tokens, batch);
    std::vector<int64_t> last_rows;
    int64_t row = 0;
    for (const auto& span : batch) last_rows.push_back((row += span.n_tokens) - 1);
    std::vector<float> logits = logits_of_rows(*model_, hidden, last_rows);
    for (size_t s = 0; s < batch.size(); ++s) next[s] = argmax(logits.data() + s * static_cast<size_t>(vocab), vocab);
    // Decode: append each active sequence's argmax, stop on EOS / limit / should_stop.
    while (true) {
      SequenceBatch step;
      std::vector<int32_t> step_tokens;
      std::vector<size_t> stepped;
      for (size_t s = 0; s < next.size(); ++s) {
        if (!active[s]) continue;
        auto& generated = outputs[first + s];
        generated.push_back(next[s]);
        const auto& request = requests[first + s];
        if (eos_ids_.count(next[s]) || static_cast<int64_t>(generated.size()) >= limit[s] ||
            (request.should_stop && request.should_stop(generated))) {
          active[s] = false;
          continue;
        }
        step.push_back({1, &caches[s], true});
        step_tokens.push_back(next[s]);
        stepped.push_back(s);
      }
      if (stepped.empty()) break;
      std::vector<float> step_hidden = model_->forward(step_tokens, step);
      std::vector<int64_t> rows(stepped.size());
      for (size_t k = 0; k < stepped.size(); ++k) rows[k] = static_cast<int64_t>(k);
      logits = logits_of_rows(*model_, step_hidden, rows);
      for (size_t k = 0; k < stepped.size(); ++k)
        next[stepped[k]] = argmax(logits.data() + k * static_cast<size_t>(vocab), vocab);
    }
  }
  return outputs;
}

}  // namespace qs
