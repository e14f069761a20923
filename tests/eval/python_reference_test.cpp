// Checks against CPython itself (/usr/bin/python3) for what lm-eval computes in Python: the
// random module (few-shot sampling, bootstrap), `re`-based filters and exact_match, and the
// stderr formulas. The expected values are printed by Python; nothing here is from our code.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "eval/metrics.h"
#include "eval/python_random.h"
#include "eval/statistics.h"
#include "test_support.h"

namespace qs {
namespace {

nlohmann::json python(const std::string& program) {
  qs::test::ScratchDir dir("python_ref");
  std::string script = dir.file("ref.py");
  FILE* f = std::fopen(script.c_str(), "w");
  std::fputs(program.c_str(), f);
  std::fclose(f);
  auto result = qs::test::run_shell("/usr/bin/python3 " + script);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return nlohmann::json::parse(result.output);
}

TEST(EvalPythonReference, RandomSampleMatchesCPython) {
  // lm-eval's few-shot draws: Random(seed).sample(range(n), k) called repeatedly on one generator,
  // over pool sizes on both sides of CPython's set/pool switch, and 32/64-bit getrandbits.
  auto expected = python(R"PY(
import json, random
out = {}
for seed in (1234, 0, 42, 2**40 + 7):
    r = random.Random(seed)
    out[str(seed)] = [r.sample(range(n), k) for n, k in ((10, 3), (5, 5), (1000, 6), (9741, 2), (300, 21), (85, 6))]
    out[str(seed) + "r"] = [r.random() for _ in range(3)] + [r.getrandbits(40)]
print(json.dumps(out))
)PY");
  for (uint64_t seed : {1234ull, 0ull, 42ull, (1ull << 40) + 7}) {
    PythonRandom random(seed);
    std::vector<std::vector<int64_t>> draws;
    for (auto [n, k] : std::vector<std::pair<int64_t, int64_t>>{{10, 3}, {5, 5}, {1000, 6}, {9741, 2}, {300, 21}, {85, 6}})
      draws.push_back(random.sample(n, k));
    EXPECT_EQ(nlohmann::json(draws), expected[std::to_string(seed)]) << "seed " << seed;
    const auto& tail = expected[std::to_string(seed) + "r"];
    for (int i = 0; i < 3; ++i) EXPECT_EQ(random.random(), tail[i].get<double>());
    EXPECT_EQ(random.getrandbits(40), tail[3].get<uint64_t>());
  }
}

TEST(EvalPythonReference, BootstrapStderrEqualsLmEvalFormula) {
  // lm-eval's bootstrap_stderr (single process): chunks of 1000 from random.Random(i).choices.
  auto expected = python(R"PY(
import json, math, random
xs = [-(i % 7) * 0.37 - (i % 3) * 1.1 for i in range(57)]
def perplexity(items): return math.exp(-sum(items) / len(items))
res = []
for i in range(3000 // 1000):
    rnd = random.Random(i)
    for _ in range(1000):
        res.append(perplexity(rnd.choices(xs, k=len(xs))))
mu = sum(res) / len(res)
print(json.dumps({"xs": xs, "stderr": math.sqrt(sum((x - mu) ** 2 for x in res) / (len(res) - 1)),
                  "mean_stderr": math.sqrt(sum((x - sum(xs)/len(xs)) ** 2 for x in xs) / (len(xs) - 1)) / math.sqrt(len(xs))}))
)PY");
  auto xs = expected["xs"].get<std::vector<double>>();
  auto stderr_value = stats::bootstrap_stderr(stats::perplexity, xs, 3000);
  ASSERT_TRUE(stderr_value.has_value());
  EXPECT_NEAR(*stderr_value, expected["stderr"].get<double>(), 1e-12 * expected["stderr"].get<double>());
  EXPECT_NEAR(*stats::mean_stderr(xs), expected["mean_stderr"].get<double>(), 1e-15);
}

TEST(EvalPythonReference, FiltersAndExactMatchAsLmEval) {
  // The gsm8k / triviaqa / nq_open filter pipelines and exact_match options, run by Python's re.
  const std::vector<std::string> generations = {
      " She makes $18 every day.\n#### 18", " The answer is 1,234.5.", " #### -3.", "no number here", " 7 and then 12",
      "  The Onion  ", " the Beatles", " an apple.", "Paris, France", " #### 0.50"};
  const std::vector<std::string> references = {"x\n#### 18", "y #### 1234.5", "#### -3", "#### 5", "#### 12",
                                               "onion", "Beatles", "Apple", "paris france", "#### 0.50"};
  auto expected = python(R"PY(
import json, re, string
import numpy as np
def regex_filter(resp, pattern, group_select):
    match = re.compile(pattern).findall(resp)
    if match:
        match = match[group_select]
        if isinstance(match, tuple):
            match = [m for m in match if m]
            match = match[0] if match else "[invalid]"
        return match.strip()
    return "[invalid]"
def exact_match(p, r, regexes, ignore_case, ignore_punct):
    for s in regexes:
        p = re.sub(s, "", p); r = re.sub(s, "", r)
    if ignore_case: p, r = p.lower(), r.lower()
    if ignore_punct:
        t = string.punctuation.maketrans("", "", string.punctuation); p, r = p.translate(t), r.translate(t)
    return float(p == r)
gens = )PY" + nlohmann::json(generations).dump() + R"PY(
refs = )PY" + nlohmann::json(references).dump() + R"PY(
gsm = [",", "\\$", "(?s).*#### ", "\\.$"]
out = {"strict": [], "flex": [], "em_strict": [], "em_flex": [], "em_open": [], "em_nq": []}
for g, r in zip(gens, refs):
    s = regex_filter(g, "#### (\\-?[0-9\\.\\,]+)", 0); f = regex_filter(g, "(-?[$0-9.,]{2,})|(-?[0-9]+)", -1)
    out["strict"].append(s); out["flex"].append(f)
    out["em_strict"].append(exact_match(s, r, gsm, True, False)); out["em_flex"].append(exact_match(f, r, gsm, True, False))
    out["em_open"].append(exact_match(g.strip(), r, [], True, True))
    out["em_nq"].append(exact_match(g.strip(), r, ["\\b(?:The |the |An |A |The |a |an )"], True, True))
print(json.dumps(out))
)PY");
  FilterPipeline strict{"strict-match", {{FilterStep::Kind::Regex, "#### (\\-?[0-9\\.\\,]+)", 0, "[invalid]"}}};
  FilterPipeline flexible{"flexible-extract", {{FilterStep::Kind::Regex, "(-?[$0-9.,]{2,})|(-?[0-9]+)", -1, "[invalid]"}}};
  FilterPipeline whitespace{"remove_whitespace", {{FilterStep::Kind::RemoveWhitespace, "", 0, ""}}};
  ExactMatchOptions gsm{{",", "\\$", "(?s).*#### ", "\\.$"}, true, false};
  ExactMatchOptions open{{}, true, true};
  ExactMatchOptions nq{{"\\b(?:The |the |An |A |The |a |an )"}, true, true};
  for (size_t i = 0; i < generations.size(); ++i) {
    std::string s = apply_filter(strict, generations[i]), f = apply_filter(flexible, generations[i]);
    EXPECT_EQ(s, expected["strict"][i].get<std::string>()) << i;
    EXPECT_EQ(f, expected["flex"][i].get<std::string>()) << i;
    EXPECT_EQ(exact_match(s, references[i], gsm), expected["em_strict"][i].get<double>()) << i;
    EXPECT_EQ(exact_match(f, references[i], gsm), expected["em_flex"][i].get<double>()) << i;
    std::string stripped = apply_filter(whitespace, generations[i]);
    EXPECT_EQ(exact_match(stripped, references[i], open), expected["em_open"][i].get<double>()) << i;
    EXPECT_EQ(exact_match(stripped, references[i], nq), expected["em_nq"][i].get<double>()) << i;
  }
}

TEST(EvalPythonReference, PooledStderrAndArgmaxTies) {
  auto expected = python(R"PY(
import json, math
import numpy as np
stderrs, sizes = [0.05, 0.1, 0.02], [100, 30, 400]
pooled = sum((n - 1) * s**2 * n for n, s in zip(sizes, stderrs)) / (sum(sizes) - len(sizes))
lls = np.array([-2.0, -1.0, -1.0, -3.0]); lens = np.array([4.0, 2.0, 1.0, 6.0])
print(json.dumps({"pooled": math.sqrt(pooled / sum(sizes)), "argmax": int(np.argmax(lls)), "argmax_norm": int(np.argmax(lls / lens))}))
)PY");
  EXPECT_NEAR(stats::pooled_sample_stderr({0.05, 0.1, 0.02}, {100, 30, 400}), expected["pooled"].get<double>(), 1e-15);
  EXPECT_EQ(argmax({-2.0, -1.0, -1.0, -3.0}), expected["argmax"].get<size_t>());
  EXPECT_EQ(argmax({-2.0, -1.0, -1.0, -3.0}, {4.0, 2.0, 1.0, 6.0}), expected["argmax_norm"].get<size_t>());
}

}  // namespace
}  // namespace qs
