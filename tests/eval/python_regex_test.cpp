// The task-config regex engine (PCRE2 with bounds) against CPython's `re`, and the hostile
// patterns of issue 14 (items 4 and 5) that crashed or hung std::regex.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/metrics.h"
#include "eval/python_regex.h"
#include "eval/task_registry.h"
#include "test_support.h"

namespace qs {
namespace {

using nlohmann::json;

using test::error_of;

// Patterns of lm-eval tasks and the corner cases where engines differ: empty matches next to
// others, Unicode classes (Python str patterns are Unicode), $ before a final newline, \Z, inline
// flags, optional groups that do not take part.
const std::vector<std::pair<std::string, std::string>> kCases = {
    {"#### (\\-?[0-9\\.\\,]+)", "so 3+4=7\n#### 7\n#### -1,234.5 end"},
    {"(-?[$0-9.,]{2,})|(-?[0-9]+)", "I paid $12.50 then 3 and -4 then 1,000."},
    {"\\b(?:The |the |An |A |The |a |an )", "The cat ate an apple and a pear. Theory"},
    {"(?s).*#### ", "line one\nline two #### 42\n#### 43"},
    {"\\.$", "ends with a dot.\n"},
    {"\\.\\Z", "not at the end.\n"},
    {"x*", "abxxd"},
    {"", "h\xc3\xa9!"},
    {"\\b", "caf\xc3\xa9 na\xc3\xafve 12"},
    {"\\w+", "caf\xc3\xa9 na\xc3\xafve \xd9\xa3\xd9\xa4 \xe4\xb8\xad\xe6\x96\x87_x"},
    {"\\d+", "12 \xd9\xa3\xd9\xa4 \xef\xbc\x95 3"},
    {"\\s+", "a \t\n\xc2\xa0\xe2\x80\x83" "b"},
    {"(?i)the", "The THE tHe"},
    {"(a)|(b)", "abc"},
    {"(a)?b", "b ab"},
    {"[^\\s\\w]+", "hi!! ... \xe2\x80\x94 ok?"},
    {"^\\s*\\d+", "  42 and 7"},
    {"(?m)^\\w", "one\ntwo\nthree"},
};

TEST(EvalPythonRegex, FindallAndSubMatchCPython) {
  json input = json::array();
  for (const auto& [pattern, text] : kCases) input.push_back({pattern, text});
  test::ScratchDir dir("python_regex");
  std::ofstream(dir.file("cases.json")) << input.dump();
  std::ofstream(dir.file("ref.py")) << R"PY(
import json, re, sys
out = []
for pattern, text in json.load(open(sys.argv[1], encoding="utf-8")):
    rx = re.compile(pattern)
    found = [[m.group(g) for g in range(rx.groups + 1)] for m in rx.finditer(text)]
    out.append({"groups": rx.groups, "matches": found, "sub": rx.sub("", text)})
print(json.dumps(out))
)PY";
  const auto result = test::run_shell("/usr/bin/python3 " + dir.file("ref.py") + " " + dir.file("cases.json"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const json expected = json::parse(result.output);
  ASSERT_EQ(expected.size(), kCases.size());
  for (size_t i = 0; i < kCases.size(); ++i) {
    const auto& [pattern, text] = kCases[i];
    const PythonRegex regex(pattern, "case " + std::to_string(i));
    EXPECT_EQ(regex.group_count(), expected[i]["groups"].get<int>()) << pattern;
    json matches = json::array();
    for (const auto& match : regex.find_all(text)) {
      json groups = json::array();
      for (const auto& group : match.groups) groups.push_back(group ? json(*group) : json(nullptr));
      matches.push_back(groups);
    }
    EXPECT_EQ(matches, expected[i]["matches"]) << "pattern " << pattern;
    EXPECT_EQ(regex.remove_all(text), expected[i]["sub"].get<std::string>()) << "pattern " << pattern;
  }
}

// Issue 14 item 4: 30,000 nested groups overflowed std::regex's recursive parser (SIGSEGV).
// Now the config load fails, naming the file, the task and the field.
TEST(EvalPythonRegex, DeepNestingInRegexesToIgnoreIsAConfigError) {
  const std::string nested = std::string(30000, '(') + "a" + std::string(30000, ')');
  test::ScratchDir dir("python_regex_nesting");
  const std::string path = dir.file("mine.json");
  json config = {{"task", {{{"name", "mine"}, {"base", "gsm8k"}, {"regexes_to_ignore", {",", nested}}}}}};
  std::ofstream(path) << config.dump();
  TaskRegistry registry = TaskRegistry::builtin();
  const std::string message = error_of([&] { registry.load_config(path); });
  EXPECT_NE(message.find(path + ": task #1 ('mine'): regexes_to_ignore[1]"), std::string::npos) << message;
  EXPECT_NE(message.find("too deeply nested"), std::string::npos) << message;
  // At the limit (250, PCRE2's default) a pattern still works.
  const PythonRegex deepest(std::string(250, '(') + "a" + std::string(250, ')'), "test");
  EXPECT_EQ(deepest.remove_all("banana"), "bnn");
  EXPECT_THROW(PythonRegex(std::string(251, '(') + "a" + std::string(251, ')'), "test"), Error);
}

// Issue 14 item 5: "(.*)*x" backtracks exponentially; std::regex ran it with no budget (the eval
// hung). Under PCRE2's match limit it ends in an error naming the field, after at most
// 1M + 1000 * 41 steps.
TEST(EvalPythonRegex, CatastrophicBacktrackingIsAnErrorNotAHang) {
  ExactMatchOptions options;
  options.regexes_to_ignore = {"(.*)*x"};
  options.source = "mine.toml: task #1 ('mine')";
  const std::string generation = "x" + std::string(40, 'a');
  const std::string message = error_of([&] { (void)exact_match(generation, "x", options); });
  EXPECT_NE(message.find("mine.toml: task #1 ('mine'): regexes_to_ignore[0]"), std::string::npos) << message;
  EXPECT_NE(message.find("too many backtracking steps"), std::string::npos) << message;
  // The same pattern on text it can decide quickly still works (the budget is not a blanket refusal).
  EXPECT_EQ(exact_match("ax", "", options), 1.0);
}

}  // namespace
}  // namespace qs
