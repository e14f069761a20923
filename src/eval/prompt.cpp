#include "eval/prompt.h"

#include "core/error.h"
#include "eval/text_util.h"

namespace qs {

FewshotSampler::FewshotSampler(const TaskSpec& spec, const std::vector<Doc>& pool, bool pool_is_eval_split, uint64_t seed)
    : spec_(spec), pool_is_eval_split_(pool_is_eval_split), random_(seed) {
  for (const auto& doc : pool) pools_[doc.group].push_back(&doc);
}

std::vector<const Doc*> FewshotSampler::sample(const Doc& doc, int k) {
  if (k <= 0) return {};
  auto it = pools_.find(doc.group);
  require(it != pools_.end(), "task '" + spec_.name + "'", "no few-shot examples for group '" + doc.group + "'");
  const auto& pool = it->second;
  auto is_eval_doc = [&](const Doc* candidate) { return pool_is_eval_split_ && candidate->id == doc.id; };
  std::vector<const Doc*> chosen;
  if (spec_.sampler == SamplerKind::FirstN) {
    // FirstNSampler: the pool in order (without the evaluated document when it is in it).
    for (const Doc* candidate : pool)
      if (!(spec_.fewshot_sample_extra && is_eval_doc(candidate)) && static_cast<int>(chosen.size()) < k) chosen.push_back(candidate);
  } else {
    // ContextSampler.sample: rnd.sample(pool, k+1) minus the evaluated document, first k; or
    // rnd.sample(pool, k) when lm-eval passes no eval_doc.
    int64_t draw = k + (spec_.fewshot_sample_extra ? 1 : 0);
    require(draw <= static_cast<int64_t>(pool.size()), "task '" + spec_.name + "'",
            std::to_string(k) + "-shot needs " + std::to_string(draw) + " few-shot candidates, the pool has " +
                std::to_string(pool.size()));
    for (int64_t index : random_.sample(static_cast<int64_t>(pool.size()), draw)) {
      const Doc* candidate = pool[static_cast<size_t>(index)];
      if (spec_.fewshot_sample_extra && is_eval_doc(candidate)) continue;
      if (static_cast<int>(chosen.size()) < k) chosen.push_back(candidate);
    }
  }
  require(static_cast<int>(chosen.size()) == k, "task '" + spec_.name + "'",
          std::to_string(k) + "-shot: only " + std::to_string(chosen.size()) + " few-shot examples available");
  return chosen;
}

namespace {

// doc_to_target of a few-shot example as build_qa_turn renders it.
std::string answer_of(const TaskSpec& spec, const Doc& doc) {
  if (spec.output_type == OutputType::MultipleChoice && !spec.multiple_input) return doc.choices.at(static_cast<size_t>(doc.gold));
  return doc.targets.empty() ? std::string() : doc.targets.front();
}

std::string question_of(const TaskSpec& spec, const Doc& doc) {
  return spec.multiple_input ? doc.choices.at(static_cast<size_t>(doc.gold)) : doc.text;
}

std::string prefix_of(const TaskSpec& spec, const Doc& doc, const std::vector<const Doc*>& fewshot) {
  std::string prefix = text::replace_all(spec.description, "{group}", text::replace_all(doc.group, "_", " "));
  for (const Doc* example : fewshot) {
    std::string answer = answer_of(spec, *example);
    // build_qa_turn: without an answer neither delimiter is written.
    prefix += question_of(spec, *example);
    if (!answer.empty()) prefix += spec.target_delimiter + answer + spec.fewshot_delimiter;
  }
  return prefix;
}

}  // namespace

std::vector<std::string> render_contexts(const TaskSpec& spec, const Doc& doc, const std::vector<const Doc*>& fewshot) {
  std::string prefix = prefix_of(spec, doc, fewshot);
  if (!spec.multiple_input) return {prefix + doc.text};
  std::vector<std::string> contexts;
  for (const auto& option : doc.choices) contexts.push_back(prefix + option);
  return contexts;
}

std::vector<TextRequest> build_requests(const TaskSpec& spec, const Doc& doc, const std::vector<const Doc*>& fewshot) {
  auto contexts = render_contexts(spec, doc, fewshot);
  std::vector<TextRequest> requests;
  switch (spec.output_type) {
    case OutputType::MultipleChoice:
      if (spec.multiple_input) {
        for (const auto& context : contexts) requests.push_back({context, spec.target_delimiter + doc.targets.at(0)});
      } else {
        for (const auto& choice : doc.choices) requests.push_back({contexts[0], spec.target_delimiter + choice});
      }
      break;
    case OutputType::Loglikelihood:
      requests.push_back({contexts[0], doc.targets.at(0)});
      break;
    case OutputType::LoglikelihoodRolling:
      requests.push_back({"", doc.text});
      break;
    case OutputType::GenerateUntil:
      requests.push_back({contexts[0], ""});
      break;
  }
  return requests;
}

PreparedRequests prepare_requests(const TaskSpec& spec, const std::vector<Doc>& docs, const std::vector<Doc>& pool,
                                  bool pool_is_eval_split, int shots, std::optional<int64_t> limit, uint64_t seed) {
  PreparedRequests prepared;
  std::map<std::string, int64_t> per_group;
  for (const auto& doc : docs)
    if (!limit || per_group[doc.group]++ < *limit) prepared.docs.push_back(&doc);
  FewshotSampler sampler(spec, pool, pool_is_eval_split, seed);
  for (const Doc* doc : prepared.docs) prepared.requests.push_back(build_requests(spec, *doc, sampler.sample(*doc, shots)));
  return prepared;
}

}  // namespace qs
