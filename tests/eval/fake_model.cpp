#include "eval/fake_model.h"

namespace qs::test {

std::vector<int32_t> FakeTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int32_t> ids;
  if (add_special_tokens) ids.push_back(1);
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' && i + 1 < text.size() && ((text[i + 1] >= 'a' && text[i + 1] <= 'z') || (text[i + 1] >= 'A' && text[i + 1] <= 'Z'))) {
      ids.push_back(300 + static_cast<unsigned char>(text[i + 1]));
      ++i;
    } else {
      ids.push_back(static_cast<int32_t>(c) + 3);
    }
  }
  return ids;
}

std::string FakeTokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::string text;
  for (int32_t id : ids) {
    if (id < 3) {
      if (!skip_special_tokens) text += id == 1 ? "<s>" : "</s>";
    } else if (id >= 300) {
      text += ' ';
      text += static_cast<char>(id - 300);
    } else {
      text += static_cast<char>(id - 3);
    }
  }
  return text;
}

LoglikelihoodResult FakeModel::expected(const LoglikelihoodRequest& request) {
  LoglikelihoodResult result{0.0, true};
  size_t position = request.context_tokens.size();
  for (int32_t token : request.continuation_tokens) {
    result.logprob -= (1 + (token + static_cast<int32_t>(position)) % 5) / 10.0;
    result.is_greedy = result.is_greedy && token % 2 == 0;
    ++position;
  }
  return result;
}

std::vector<LoglikelihoodResult> FakeModel::loglikelihood(const std::vector<LoglikelihoodRequest>& requests) {
  batch_sizes.push_back(requests.size());
  std::vector<LoglikelihoodResult> results;
  for (const auto& request : requests) {
    seen.push_back(request);
    results.push_back(expected(request));
  }
  return results;
}

std::vector<std::vector<int32_t>> FakeModel::generate_until(const std::vector<GenerationRequest>& requests) {
  std::vector<std::vector<int32_t>> out;
  std::vector<int32_t> script_tokens = tokenizer_.encode(script, false);
  script_tokens.push_back(2);
  for (const auto& request : requests) {
    std::vector<int32_t> generated;
    for (int32_t token : script_tokens) {
      if (static_cast<int>(generated.size()) >= request.max_new_tokens) break;
      generated.push_back(token);
      if (token == 2 || (request.should_stop && request.should_stop(generated))) break;
    }
    out.push_back(generated);
  }
  return out;
}

}  // namespace qs::test
