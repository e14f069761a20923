#include "eval/metrics.h"

#include "core/error.h"
#include "eval/python_regex.h"
#include "eval/text_util.h"

namespace qs {

size_t argmax(const std::vector<double>& values, const std::vector<double>& divisor) {
  size_t best = 0;
  double best_value = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    double value = divisor.empty() ? values[i] : values[i] / divisor[i];
    if (i == 0 || value > best_value) {
      best = i;
      best_value = value;
    }
  }
  return best;
}

std::map<std::string, double> score_multiple_choice(const TaskSpec& spec, const Doc& doc, const std::vector<ChoiceScore>& scores) {
  std::vector<double> logprobs, chars, bytes;
  for (const auto& score : scores) logprobs.push_back(score.logprob);
  for (const auto& choice : doc.choices) {
    chars.push_back(static_cast<double>(text::code_points(choice)));
    bytes.push_back(static_cast<double>(choice.size()));
  }
  // Multiple-input tasks score one request per context; their "choices" are those contexts,
  // but lm-eval's doc_to_choice still returns the contexts, so the lengths are theirs.
  std::map<std::string, double> out;
  auto gold = static_cast<size_t>(doc.gold);
  for (const auto& metric : spec.metrics) {
    if (metric == "acc") out["acc"] = argmax(logprobs) == gold ? 1.0 : 0.0;
    else if (metric == "acc_norm") out["acc_norm"] = argmax(logprobs, chars) == gold ? 1.0 : 0.0;
    else if (metric == "acc_bytes") out["acc_bytes"] = argmax(logprobs, bytes) == gold ? 1.0 : 0.0;
    else if (metric == "exact_match") out["exact_match"] = scores.at(gold).is_greedy ? 1.0 : 0.0;
  }
  return out;
}

namespace {

// Patterns compile once per thread; a pattern's `where` is part of its key so that an error
// names the field it came from.
const PythonRegex& compiled(const std::string& pattern, const std::string& where) {
  thread_local std::map<std::pair<std::string, std::string>, PythonRegex> cache;
  auto key = std::make_pair(pattern, where);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, PythonRegex(pattern, where)).first;
  return it->second;
}

// RegexFilter: findall, pick match[group_select]; with several groups the first non-empty one.
std::string regex_extract(const FilterStep& step, const std::string& text) {
  const PythonRegex& re = compiled(step.pattern, "regex filter");
  std::vector<std::string> matches;
  const int groups = re.group_count();
  for (const PythonRegex::Match& m : re.find_all(text)) {
    if (groups == 0) {
      matches.push_back(*m.groups[0]);
    } else if (groups == 1) {
      matches.push_back(m.groups[1].value_or(""));
    } else {
      std::string first;
      bool found = false;
      for (int g = 1; g <= groups && !found; ++g)
        if (m.groups[static_cast<size_t>(g)] && !m.groups[static_cast<size_t>(g)]->empty()) {
          first = *m.groups[static_cast<size_t>(g)];
          found = true;
        }
      matches.push_back(found ? first : step.fallback);
    }
  }
  if (matches.empty()) return step.fallback;
  auto count = static_cast<int>(matches.size());
  int index = step.group_select < 0 ? count + step.group_select : step.group_select;
  if (index < 0 || index >= count) throw Error("regex filter", "group_select " + std::to_string(step.group_select) + " out of range");
  return text::strip(matches[static_cast<size_t>(index)]);
}

}  // namespace

std::string apply_filter(const FilterPipeline& pipeline, const std::string& generation) {
  std::string value = generation;
  for (const auto& step : pipeline.steps) {
    switch (step.kind) {
      case FilterStep::Kind::RemoveWhitespace: value = text::strip(value); break;
      case FilterStep::Kind::Regex: value = regex_extract(step, value); break;
      case FilterStep::Kind::TakeFirst: break;  // one generation per request (repeats = 1)
    }
  }
  return value;
}

std::string regexes_to_ignore_field(const ExactMatchOptions& options, size_t index) {
  return (options.source.empty() ? std::string("built-in task") : options.source) + ": regexes_to_ignore[" + std::to_string(index) + "]";
}

double exact_match(const std::string& prediction, const std::string& reference, const ExactMatchOptions& options) {
  std::string p = prediction, r = reference;
  for (size_t i = 0; i < options.regexes_to_ignore.size(); ++i) {
    const PythonRegex& re = compiled(options.regexes_to_ignore[i], regexes_to_ignore_field(options, i));
    p = re.remove_all(p);
    r = re.remove_all(r);
  }
  if (options.ignore_case) {
    p = text::lower(p);
    r = text::lower(r);
  }
  if (options.ignore_punctuation) {
    p = text::remove_punctuation(p);
    r = text::remove_punctuation(r);
  }
  return p == r ? 1.0 : 0.0;
}

std::map<std::string, double> score_generation(const TaskSpec& spec, const Doc& doc, const std::string& generation) {
  std::map<std::string, double> out;
  std::vector<FilterPipeline> pipelines = spec.filters;
  if (pipelines.empty()) pipelines.push_back({"none", {{FilterStep::Kind::TakeFirst, "", 0, ""}}});
  for (const auto& pipeline : pipelines) {
    std::string filtered = apply_filter(pipeline, generation);
    double score = 0;
    for (const auto& target : doc.targets) score = std::max(score, exact_match(filtered, target, spec.exact_match));
    out["exact_match," + pipeline.name] = score;
  }
  return out;
}

}  // namespace qs
