#pragma once
// The regular expressions of task configs (lm-eval's `regexes_to_ignore` and regex filters),
// written in Python `re` syntax, run by PCRE2 with bounds so that no pattern or text crashes or
// hangs an evaluation:
//   - groups nest at most 250 deep (PCRE2's parens_nest_limit), checked when the pattern compiles;
//   - a match takes at most 1M + 1000 backtracking steps per byte of text (PCRE2's match_limit,
//     the step budget of the tokenizer's engine) and 64 MiB of backtracking memory (heap_limit).
// Semantics are Python's for the syntax lm-eval tasks use: Unicode \w \d \s \b (PCRE2_UCP, as
// Python str patterns), inline flags such as (?s) and (?i), leftmost-first alternation, and
// findall / sub's handling of empty matches. Invalid UTF-8 in the text never matches (Python
// would have failed to decode it earlier). Known differences: Python's \Z is translated to
// PCRE2's \z; `{,n}` (Python: 0 to n) is a literal in PCRE2 10.42.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

class PythonRegex {
 public:
  // Throws qs::Error(where, ...) when the pattern is malformed or nests too deep; `where` names
  // the file and the field ("tasks.toml: task #1 ('x'): regexes_to_ignore[0]").
  PythonRegex(const std::string& pattern, std::string where);
  ~PythonRegex();
  PythonRegex(PythonRegex&&) noexcept;
  PythonRegex& operator=(PythonRegex&&) noexcept;

  // One match: groups[0] is the whole match, groups[g] capture group g (nullopt: did not take part).
  struct Match {
    size_t begin = 0, end = 0;  // byte offsets of the whole match in the text
    std::vector<std::optional<std::string>> groups;
  };
  // Python re.finditer(pattern, text). Throws qs::Error(where, ...) past the step budget.
  std::vector<Match> find_all(std::string_view text) const;
  // Python re.sub(pattern, "", text).
  std::string remove_all(std::string_view text) const;
  // Number of capture groups (Python pattern.groups).
  int group_count() const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
  std::string where_;
};

}  // namespace qs
