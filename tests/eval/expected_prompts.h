#pragma once
// The requests lm-eval builds for each builtin task, stored in tests/eval/expected_prompts/<task>.json
// (make_expected_prompts.py): the reference the prompt tests compare against.
#include <nlohmann/json.hpp>
#include <string>

namespace qs::test {

// Throws std::runtime_error when the task has no stored file.
nlohmann::json expected_prompts(const std::string& task);

}  // namespace qs::test
