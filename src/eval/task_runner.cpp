#include "eval/task_runner.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "core/error.h"
#include "core/progress.h"
#include "eval/request_tokens.h"
#include "eval/text_util.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

// One model request and where its result goes.
struct ScoredItem {
  size_t doc = 0;
  size_t slot = 0;  // request index within the document (rolling: all windows share slot 0)
  LoglikelihoodRequest request;
};

void log_request(nlohmann::json& sample, const TextRequest& text, const LoglikelihoodRequest& tokens) {
  sample["requests"].push_back({{"context", text.context}, {"continuation", text.continuation},
                                {"context_tokens", tokens.context_tokens}, {"continuation_tokens", tokens.continuation_tokens}});
}

// Sorts documents longest first (lm-eval's order: long requests first, so memory trouble shows
// early) and cuts batches only between documents, so a document's choices, which share their
// context, reach the model in one call.
void score_items(LanguageModel& model, const TaskSpec& spec, const std::vector<const Doc*>& docs,
                 std::vector<ScoredItem>& items, TaskRun& run, int batch_size, std::optional<Progress>& progress) {
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  auto length = [&](size_t i) { return items[i].request.context_tokens.size() + items[i].request.continuation_tokens.size(); };
  std::vector<size_t> doc_length(run.outcomes.size(), 0);
  for (size_t i = 0; i < items.size(); ++i) doc_length[items[i].doc] = std::max(doc_length[items[i].doc], length(i));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (doc_length[items[a].doc] != doc_length[items[b].doc]) return doc_length[items[a].doc] > doc_length[items[b].doc];
    return items[a].doc < items[b].doc;
  });
  size_t start = 0;
  while (start < order.size()) {
    size_t end = start;
    while (end < order.size() && (end - start < static_cast<size_t>(batch_size) ||
                                  (end > start && items[order[end]].doc == items[order[end - 1]].doc)))
      ++end;
    std::vector<LoglikelihoodRequest> batch;
    for (size_t i = start; i < end; ++i) batch.push_back(items[order[i]].request);
    auto results = model.loglikelihood(batch);
    for (size_t i = start; i < end; ++i) {
      const ScoredItem& item = items[order[i]];
      // A NaN/Inf log-probability (a model whose activations overflow, a NaN scale) would make
      // every accuracy an artefact of comparisons with NaN: the first such request is an error.
      if (!std::isfinite(results[i - start].logprob))
        throw Error("task '" + spec.name + "', document " + std::to_string(docs[item.doc]->id) + ", request " +
                        std::to_string(item.slot),
                    "the model returned a non-finite log-probability (" + std::to_string(results[i - start].logprob) +
                        "): its activations overflowed or hold NaN (check its weights and scales)");
      ChoiceScore& score = run.outcomes[item.doc].scores[item.slot];
      score.logprob += results[i - start].logprob;
      score.is_greedy = score.is_greedy && results[i - start].is_greedy;
    }
    if (progress) progress->advance(static_cast<int64_t>(end - start));
    start = end;
  }
}

void generate_all(LanguageModel& model, const TaskSpec& spec, const std::vector<const Doc*>& docs,
                  const std::vector<std::vector<TextRequest>>& requests, const RunSettings& settings, TaskRun& run,
                  std::optional<Progress>& progress) {
  const Tokenizer& tokenizer = model.tokenizer();
  std::vector<std::vector<int32_t>> contexts(docs.size());
  for (size_t d = 0; d < docs.size(); ++d) {
    bool truncated = false;
    contexts[d] = encode_generation_context(tokenizer, requests[d][0].context, settings.add_bos, model.max_context(), spec.max_gen_toks, &truncated);
    run.truncated_requests += truncated ? 1 : 0;
  }
  std::vector<size_t> order(docs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return contexts[a].size() > contexts[b].size(); });
  auto should_stop = [&tokenizer, &spec](const std::vector<int32_t>& generated) {
    std::string text = tokenizer.decode(generated, true);
    return std::any_of(spec.until.begin(), spec.until.end(),
                       [&](const std::string& stop) { return !stop.empty() && text.find(stop) != std::string::npos; });
  };
  for (size_t start = 0; start < order.size(); start += static_cast<size_t>(settings.batch_size)) {
    size_t end = std::min(order.size(), start + static_cast<size_t>(settings.batch_size));
    std::vector<GenerationRequest> batch;
    for (size_t i = start; i < end; ++i) batch.push_back({contexts[order[i]], spec.max_gen_toks, should_stop});
    auto generated = model.generate_until(batch);
    for (size_t i = start; i < end; ++i) {
      size_t d = order[i];
      std::string text = tokenizer.decode(generated[i - start], true);
      for (const auto& stop : spec.until)
        if (!stop.empty()) text = text::before(text, stop);
      run.outcomes[d].generation = text;
      if (settings.log_samples) {
        run.outcomes[d].sample["requests"].push_back({{"context", requests[d][0].context}, {"context_tokens", contexts[d]},
                                                       {"generated_tokens", generated[i - start]}, {"generation", text}});
      }
    }
    if (progress) progress->advance(static_cast<int64_t>(end - start));
  }
}

}  // namespace

TaskRun run_requests(LanguageModel& model, const TaskSpec& spec, const std::vector<const Doc*>& docs,
                     const std::vector<std::vector<TextRequest>>& requests, const RunSettings& settings) {
  TaskRun run;
  run.outcomes.resize(docs.size());
  for (size_t d = 0; d < docs.size(); ++d) run.n_requests += static_cast<int64_t>(requests[d].size());
  std::optional<Progress> progress;
  if (settings.progress) progress.emplace(spec.name, run.n_requests, "req");
  if (spec.output_type == OutputType::GenerateUntil) {
    generate_all(model, spec, docs, requests, settings, run, progress);
    return run;
  }
  const Tokenizer& tokenizer = model.tokenizer();
  std::vector<ScoredItem> items;
  for (size_t d = 0; d < docs.size(); ++d) {
    DocOutcome& outcome = run.outcomes[d];
    outcome.scores.assign(requests[d].size(), ChoiceScore{0.0, true});
    for (size_t r = 0; r < requests[d].size(); ++r) {
      const TextRequest& text = requests[d][r];
      if (spec.output_type == OutputType::LoglikelihoodRolling) {
        int32_t prefix = tokenizer.bos_id().value_or(tokenizer.eos_id().value_or(0));
        for (auto& window : rolling_windows(tokenizer.encode(text.continuation, false), prefix, model.max_context()))
          items.push_back({d, r, std::move(window)});
        continue;
      }
      TokenizedPair pair = encode_pair(tokenizer, text.context, text.continuation, settings.add_bos, model.max_context());
      run.truncated_requests += pair.truncated ? 1 : 0;
      LoglikelihoodRequest request{std::move(pair.context), std::move(pair.continuation)};
      if (settings.log_samples) log_request(outcome.sample, text, request);
      // lm-eval scores an empty continuation as logprob 0, greedy; we report it instead of
      // sending a request the model cannot take.
      if (request.continuation_tokens.empty()) run.empty_continuation_docs.push_back(docs[d]->id);
      else items.push_back({d, r, std::move(request)});
    }
  }
  score_items(model, spec, docs, items, run, settings.batch_size, progress);
  if (progress) progress->set(run.n_requests);
  if (settings.log_samples)
    for (auto& outcome : run.outcomes)
      for (size_t r = 0; r < outcome.scores.size() && outcome.sample.contains("requests"); ++r) {
        outcome.sample["requests"][r]["logprob"] = outcome.scores[r].logprob;
        outcome.sample["requests"][r]["is_greedy"] = outcome.scores[r].is_greedy;
      }
  return run;
}

}  // namespace qs
