#pragma once
// The regular expressions of Hugging Face pre-tokenizers (GPT-2, Llama-3, Qwen, ... split patterns),
// matched with the semantics of Oniguruma, which `tokenizers` uses: backtracking, leftmost-first
// alternation, greedy quantifiers, over Unicode code points with Unicode 16.0 categories.
// Supported syntax: literals and escapes (\r \n \t \f \v \\ \x{..} \uXXXX), ., classes [...] with
// ranges and negation, \p{..}/\P{..} (general categories), \s \S \d \D \w \W, groups (...), (?:...),
// (?i:...), lookahead (?=...) (?!...), alternation, quantifiers ? * + {n} {n,} {n,m} (and lazy ?).
// Anything else is rejected at compile time with qs::Error.
// Bounds, so that no pattern or text crashes or hangs the process: groups and stacked quantifiers
// nest at most 250 deep (PCRE2's default, as for task filters), a pattern compiles to at most 1M
// instructions, and a match runs at most 1000 steps per text code point (+1M); the parser and the
// matcher recurse only per nesting level (a backtracking stack on the heap does the rest).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qs {

class Regex {
 public:
  // Throws qs::Error(where, ...) when the pattern is malformed, uses unsupported syntax or nests
  // too deep; `where` names the file and the field ("tokenizer.json: field 'pre_tokenizer...'").
  Regex(std::string_view pattern, const std::string& where);

  // Successive non-overlapping leftmost matches in `text` (code points), as [begin, end) indexes.
  // Throws qs::Error when a match needs an absurd number of backtracking steps.
  std::vector<std::pair<uint32_t, uint32_t>> find_all(std::span<const char32_t> text) const;

  // The bounds above; task-filter regexes (eval/python_regex.cpp) run under the same ones.
  // Nesting: the parser, the compiler and the syntax tree's destructor recurse once per level, so
  // an unbounded depth (17,500 nested groups) overflowed the stack. 250 is PCRE2's default
  // parens_nest_limit; real pre-tokenizer patterns nest 2 or 3 deep.
  static constexpr int kMaxNesting = 250;
  // Backtracking steps allowed per text code point (real pre-tokenizer patterns need a handful),
  // plus a fixed allowance per search.
  static constexpr uint64_t kStepsPerCodePoint = 1000;
  static constexpr uint64_t kBaseSteps = 1'000'000;

  struct ClassItem {
    char32_t low = 0, high = 0;  // code point range (when category_mask == 0 and !space)
    uint32_t category_mask = 0;  // bit i = category i of unicode_tables, bit 29 = unassigned
    bool space = false;          // \s
    bool negated = false;        // \S, \P{..}, \D, \W inside a class
  };
  struct CharClass {
    std::vector<ClassItem> items;
    bool negated = false;
    bool fold = false;  // case-insensitive
    uint64_t ascii[2] = {0, 0};  // precomputed answers for code points < 128
  };
  enum class Op : uint8_t { Char, Any, Class, Split, Jump, Look, Match };
  struct Inst {
    Op op;
    bool flag = false;  // Char: case-insensitive; Look: negative
    char32_t c = 0;     // Char
    uint32_t x = 0;     // Class: index; Split: preferred target; Jump: target; Look: continuation
    uint32_t y = 0;     // Split: alternative target
  };

 private:
  using Stack = std::vector<std::pair<uint32_t, uint32_t>>;  // backtrack points (pc, position)
  bool match_at(uint32_t pc, std::span<const char32_t> text, uint32_t pos, uint32_t& end, uint64_t& budget,
                Stack& stack) const;
  bool class_matches(const CharClass& cls, char32_t c) const;

  std::string where_;
  std::vector<CharClass> classes_;
  std::vector<Inst> program_;
};

}  // namespace qs
