#include "eval/metrics.h"

#include <regex>

#include "core/error.h"
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

const std::regex& compiled(const std::string& python_pattern) {
  thread_local std::map<std::string, std::regex> cache;
  auto it = cache.find(python_pattern);
  if (it == cache.end()) {
    try {
      it = cache.emplace(python_pattern, std::regex(text::python_regex_to_ecmascript(python_pattern), std::regex::ECMAScript)).first;
    } catch (const std::regex_error& e) {
      throw Error("regex \"" + python_pattern + "\"", std::string("invalid: ") + e.what());
    }
  }
  return it->second;
}

// RegexFilter: findall, pick match[group_select]; with several groups the first non-empty one.
std::string regex_extract(const FilterStep& step, const std::string& text) {
  const std::regex& re = compiled(step.pattern);
  std::vector<std::string> matches;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    if (m.size() <= 1) {
      matches.push_back(m.str(0));
    } else if (m.size() == 2) {
      matches.push_back(m.str(1));
    } else {
      std::string first;
      bool found = false;
      for (size_t g = 1; g < m.size() && !found; ++g)
        if (m[g].matched && m[g].length() > 0) {
          first = m.str(g);
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

double exact_match(const std::string& prediction, const std::string& reference, const ExactMatchOptions& options) {
  std::string p = prediction, r = reference;
  for (const auto& pattern : options.regexes_to_ignore) {
    const std::regex& re = compiled(pattern);
    p = std::regex_replace(p, re, "");
    r = std::regex_replace(r, re, "");
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
