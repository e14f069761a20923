// lm-evaluation-harness YAML task files run offline (lm_eval_yaml.h) and the Jinja subset they
// use (jinja_template.h). The YAML files under lm_eval_tasks/ are verbatim upstream copies
// (PROVENANCE.md); make_hf_docs.py writes the shipped benchmarks as the rows lm-eval's datasets
// hold. The prompts rendered from the YAML must equal, byte for byte, those make_expected_prompts.py
// renders with jinja2 (expected_prompts/) and those of the built-in tasks on every document.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "eval/expected_prompts.h"
#include "eval/jinja_template.h"
#include "eval/lm_eval_yaml.h"
#include "eval/prompt.h"
#include "eval/task_loaders.h"
#include "eval/task_registry.h"
#include "sweep/sweep_fixtures.h"
#include "test_support.h"

namespace qs {
namespace {

using nlohmann::json;

const std::string kTasks = std::string(QS_TEST_SOURCE_DIR) + "/eval/lm_eval_tasks/";

std::string render(const std::string& text, const json& doc) { return JinjaTemplate(text, "t").render(doc); }

using test::error_of;

TEST(JinjaTemplate, RendersTheSubsetLmEvalTasksUse) {
  const json doc = {{"question", "  Why? "}, {"choices", {{"text", {"a", "b's"}}, {"label", {"A", "B"}}}},
                    {"answerKey", "B"}, {"n", 3}, {"text", "one two three"}, {"name", "Élan vital"}};
  EXPECT_EQ(render("Q: {{question}}|", doc), "Q:   Why? |");
  EXPECT_EQ(render("{{ question|trim|lower }}{{ 'x'|upper }}", doc), "why?X");
  EXPECT_EQ(render("{{ question.strip() }}", doc), "Why?");
  EXPECT_EQ(render("{{choices.label.index(answerKey)}}", doc), "1");
  EXPECT_EQ(render("{{ choices['text'][0] }}{{ choices.text[-1] }}", doc), "ab's");
  EXPECT_EQ(render("{{choices.text}}", doc), "['a', \"b's\"]");  // Python's str() of a list
  EXPECT_EQ(render("{{ text.split(' ')[:-1]|join(' ') }}|{{ ' ' + text.split(' ')[-1] }}", doc), "one two| three");
  EXPECT_EQ(render("{{ text|replace('two', '2') }} {{ n * 2 + 1 }} {{ n // 2 }} {{ 'a' ~ n }}", doc), "one 2 three 7 1 a3");
  EXPECT_EQ(render("{% if n > 2 %}big{% elif n > 1 %}mid{% else %}small{% endif %}", doc), "big");
  EXPECT_EQ(render("{% for c in choices.text %}{{ loop.index }}. {{ c }}\n{% endfor %}", doc), "1. a\n2. b's\n");
  EXPECT_EQ(render("{%- if 'A' in choices.label -%}  yes  {%- endif %}", doc), "yes");
  EXPECT_EQ(render("{{ name[0]|lower ~ name[1:3] }} {{ name|length }}", doc), "\xc3\x89la 10");  // code points; ASCII case only
  EXPECT_EQ(render("{{ 'x' if n == 3 else 'y' }}{# comment #}{{ [1, 'a'] }}{{ none }}", doc), "x[1, 'a']None");
  EXPECT_EQ(JinjaTemplate("{{ [question, answerKey] }}", "t").evaluate(doc), json({"  Why? ", "B"}));
  EXPECT_EQ(JinjaTemplate("{{ n }}", "t").evaluate(doc), json(3));
}

TEST(JinjaTemplate, AnythingElseIsAnErrorNamingTheSourceAndConstruct) {
  const json doc = {{"x", "a"}};
  auto error = [&](const std::string& text) { return error_of([&] { JinjaTemplate(text, "task.yaml: doc_to_text").render(doc); }); };
  EXPECT_NE(error("{% macro f() %}{% endmacro %}").find("task.yaml: doc_to_text: unsupported Jinja construct {% macro f() %}"),
            std::string::npos);
  EXPECT_NE(error("{{ y }}").find("'y' is undefined"), std::string::npos);
  EXPECT_NE(error("{{ x|wordcount }}").find("unsupported Jinja filter 'wordcount'"), std::string::npos);
  EXPECT_NE(error("{{ x.zfill(3) }}").find("unsupported method 'zfill'"), std::string::npos);
  EXPECT_NE(error("{{ x is defined }}").find("tests ('is')"), std::string::npos);
  EXPECT_NE(error("{% if x %}a").find("missing {% endif %}"), std::string::npos);
  EXPECT_NE(error("{{ x").find("unterminated {{"), std::string::npos);
}

// A stored upstream YAML, made offline by a small user file that includes it.
struct OfflineTask {
  std::string name, upstream, overrides;
};

std::string offline_yaml(const test::ScratchDir& dir, const OfflineTask& t) {
  const std::string path = dir.file(t.name + "_offline.yaml");
  write_file_atomic(path, "include: " + kTasks + t.upstream + "\ndataset_path: json\n" + t.overrides);
  return path;
}

TEST(LmEvalYaml, UpstreamTaskFilesRenderTheSamePromptsAsJinja2AndTheBuiltinTasks) {
  test::ScratchDir dir("lm_eval_yaml");
  const std::string data = dir.file("hf");
  const auto made = test::run_reference("../eval/make_hf_docs.py", test::shared_file("benchmarks") + " " + data);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  // lm-eval semantics the overrides keep: the few-shot pool is the evaluated split, and k + 1
  // are drawn with the evaluated document dropped, when fewshot_split == test_split.
  const std::vector<OfflineTask> tasks = {
      {"arc_easy", "arc_easy.yaml",
       "dataset_kwargs: {data_files: {test: " + data + "/arc_easy.jsonl}}\ntraining_split: null\nfewshot_split: test\n"},
      {"arc_challenge", "arc_challenge.yaml",
       "dataset_kwargs: {data_files: {test: " + data + "/arc_challenge.jsonl}}\ntraining_split: null\nfewshot_split: test\n"},
      {"piqa", "piqa.yaml", "dataset_kwargs: {data_files: {validation: " + data + "/piqa.jsonl}}\ntraining_split: null\n"},
      {"copa", "copa_jinja.yaml", "dataset_kwargs: {data_files: {validation: " + data + "/copa.jsonl}}\ntraining_split: null\n"},
      {"hellaswag", "hellaswag.yaml",
       "dataset_kwargs: {data_files: {validation: " + data + "/hellaswag.jsonl}}\ntraining_split: null\nprocess_docs: null\n"},
      {"gsm8k", "gsm8k.yaml",
       "dataset_kwargs: {data_files: {test: " + data + "/gsm8k.jsonl, train: " + data + "/gsm8k_train.jsonl}}\n"},
  };
  const TaskRegistry builtin = TaskRegistry::builtin();
  int64_t total_docs = 0, total_requests = 0;
  for (const auto& t : tasks) {
    TaskRegistry registry;
    registry.load_config(offline_yaml(dir, t));
    const TaskSpec& spec = registry.get(t.name);
    EXPECT_EQ(spec.format, "lm_eval_yaml");
    const TaskData yaml_data = load_task_data(spec, "", RowPolicy::Fail);
    const json expected = test::expected_prompts(t.name);
    ASSERT_EQ(static_cast<int64_t>(yaml_data.docs.size()), expected["total_docs"].get<int64_t>()) << t.name;

    // Zero- and k-shot requests of the first documents: expected_prompts (jinja2, lm-eval's sampler).
    for (const auto& [shots_text, docs] : expected["shots"].items()) {
      const int shots = std::stoi(shots_text);
      const PreparedRequests prepared = prepare_requests(spec, yaml_data.docs, yaml_data.pool(), yaml_data.pool_is_eval_split(),
                                                         shots, expected["limit"].get<int64_t>(), 1234);
      ASSERT_EQ(prepared.docs.size(), docs.size()) << t.name;
      for (size_t d = 0; d < docs.size(); ++d) {
        ASSERT_EQ(prepared.requests[d].size(), docs[d]["requests"].size()) << t.name << " doc " << d;
        for (size_t r = 0; r < prepared.requests[d].size(); ++r) {
          const auto& want = docs[d]["requests"][r];
          EXPECT_EQ(prepared.requests[d][r].context, docs[d]["contexts"][want[0].get<size_t>()].get<std::string>())
              << t.name << " " << shots << "-shot doc " << d;
          EXPECT_EQ(prepared.requests[d][r].continuation, want[1].get<std::string>()) << t.name << " " << shots << "-shot doc " << d;
        }
      }
    }
    // Every document, zero-shot: the built-in task on the shipped files.
    const TaskSpec& reference = builtin.get(t.name);
    const TaskData shipped = load_task_data(reference, test::shared_file("benchmarks"), RowPolicy::Fail);
    ASSERT_EQ(shipped.docs.size(), yaml_data.docs.size()) << t.name;
    int64_t requests = 0, identical = 0;
    for (size_t d = 0; d < shipped.docs.size(); ++d) {
      const auto a = build_requests(spec, yaml_data.docs[d], {});
      const auto b = build_requests(reference, shipped.docs[d], {});
      ASSERT_EQ(a.size(), b.size()) << t.name << " doc " << d;
      for (size_t r = 0; r < a.size(); ++r) {
        const bool same = a[r].context == b[r].context && a[r].continuation == b[r].continuation;
        if (!same && identical == requests + static_cast<int64_t>(r))  // the first difference, shown once
          ADD_FAILURE() << t.name << " doc " << d << ": yaml [" << a[r].context << "|" << a[r].continuation << "] built-in ["
                        << b[r].context << "|" << b[r].continuation << "]";
        identical += same;
      }
      requests += static_cast<int64_t>(a.size());
      if (spec.output_type == OutputType::MultipleChoice) {
        EXPECT_EQ(yaml_data.docs[d].gold, shipped.docs[d].gold) << t.name << " doc " << d;
      }
    }
    EXPECT_EQ(identical, requests) << t.name;
    EXPECT_EQ(requests, expected["total_requests"].get<int64_t>()) << t.name;
    std::printf("[ lm-eval yaml ] %-14s %5zu documents, %6lld requests byte-identical to the built-in task (%lld differ)\n",
                t.name.c_str(), yaml_data.docs.size(), static_cast<long long>(identical),
                static_cast<long long>(requests - identical));
    total_docs += static_cast<int64_t>(yaml_data.docs.size());
    total_requests += requests;
  }
  std::printf("[ lm-eval yaml ] %zu tasks, %lld documents, %lld requests\n", tasks.size(), static_cast<long long>(total_docs),
              static_cast<long long>(total_requests));
}

TEST(LmEvalYaml, WhatNeedsPythonOrTheNetworkIsAClearError) {
  test::ScratchDir dir("lm_eval_yaml_errors");
  auto load = [&](const std::string& path) { return error_of([&] { load_lm_eval_yaml(path); }); };
  EXPECT_NE(load(kTasks + "copa_default.yaml").find("'doc_to_text': !function utils.doc_to_text is Python code"), std::string::npos);
  EXPECT_NE(load(kTasks + "hellaswag.yaml").find("'process_docs': !function utils.process_docs"), std::string::npos);
  EXPECT_NE(load(kTasks + "arc_easy.yaml").find("dataset_path 'ai2_arc' is not a local folder"), std::string::npos);
  write_file_atomic(dir.file("bad.yaml"), "task: t\ndataset_path: json\ndataset_kwargs: {data_files: {test: x.jsonl}}\n"
                                          "test_split: test\nprocess_results: whatever\n");
  EXPECT_NE(load(dir.file("bad.yaml")).find("key 'process_results' is not supported"), std::string::npos);
  write_file_atomic(dir.file("syntax.yaml"), "task: [unclosed\n");
  EXPECT_NE(load(dir.file("syntax.yaml")).find("malformed YAML"), std::string::npos);
  // A pattern PCRE2 cannot compile stops the load (not the scoring after the generation).
  const std::string generative = "task: g\ndataset_path: json\ndataset_kwargs: {data_files: {test: x.jsonl}}\n"
                                 "test_split: test\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\n";
  write_file_atomic(dir.file("filter.yaml"), generative + "filter_list:\n  - name: strict\n    filter:\n"
                                                          "      - function: regex\n        regex_pattern: \"(unclosed\"\n");
  const std::string filter_error = load(dir.file("filter.yaml"));
  EXPECT_NE(filter_error.find("filter 'strict' regex_pattern"), std::string::npos) << filter_error;
  EXPECT_NE(filter_error.find("filter.yaml"), std::string::npos) << filter_error;
  write_file_atomic(dir.file("ignore.yaml"), generative + "metric_list:\n  - metric: exact_match\n"
                                                          "    regexes_to_ignore: [\",\", \"[a-\"]\n");
  const std::string ignore_error = load(dir.file("ignore.yaml"));
  EXPECT_NE(ignore_error.find("regexes_to_ignore[1]"), std::string::npos) << ignore_error;
}

// A folder of task files: `_*` templates and files without `task` serve include only; CSV data.
TEST(LmEvalYaml, FolderOfTaskFilesWithATemplateAndCsvData) {
  test::ScratchDir dir("lm_eval_yaml_folder");
  std::filesystem::create_directories(dir.file("tasks/data"));
  write_file_atomic(dir.file("tasks/data/test.csv"), "word,answer\n\"Hello, world\",0\nbye,1\n");
  write_file_atomic(dir.file("tasks/_template.yaml"),
                    "dataset_path: data\ntest_split: test\noutput_type: multiple_choice\n"
                    "doc_to_choice: ['no', 'yes']\ndoc_to_target: \"{{answer}}\"\n");
  write_file_atomic(dir.file("tasks/a.yaml"), "include: _template.yaml\ntask: task_a\ndoc_to_text: \"{{word|upper}}:\"\n");
  write_file_atomic(dir.file("tasks/b.yml"), "include: _template.yaml\ntask: task_b\ndoc_to_text: word\n");
  // dataset_path: a folder holding <split>.jsonl|.json|.csv (here data/test.csv).
  const auto specs = load_lm_eval_yaml(dir.file("tasks"));
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].name, "task_a");
  EXPECT_EQ(specs[1].name, "task_b");
  const TaskData a = load_task_data(specs[0], "", RowPolicy::Fail), b = load_task_data(specs[1], "", RowPolicy::Fail);
  ASSERT_EQ(a.docs.size(), 2u);
  EXPECT_EQ(a.docs[0].text, "HELLO, WORLD:");
  EXPECT_EQ(b.docs[1].text, "bye");
  EXPECT_EQ(a.docs[1].choices, (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(a.docs[0].gold, 0);
  EXPECT_EQ(a.docs[1].gold, 1);  // "1" from the CSV, all digits with choices: an index
}

// A user's task: an lm-eval YAML and a local JSONL file, nothing else.
void write_user_task(const test::ScratchDir& dir) {
  std::string rows;
  for (int i = 0; i < 6; ++i)
    rows += json{{"q", "Tom has " + std::to_string(i) + " apples. Does he have any?"}, {"options", {"no", "yes"}}, {"answer", i > 0 ? 1 : 0}}
                .dump() + "\n";
  write_file_atomic(dir.file("apples.jsonl"), rows);
  write_file_atomic(dir.file("apples.yaml"),
                    "task: apples\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: apples.jsonl\n"
                    "test_split: test\noutput_type: multiple_choice\ndoc_to_text: \"Question: {{q}}\\nAnswer:\"\n"
                    "doc_to_choice: options\ndoc_to_target: answer\nmetric_list:\n  - metric: acc\n  - metric: acc_norm\n"
                    "metadata:\n  version: 2.0\n  stratum: L2\n  chance: 0.5\n");
}

TEST(LmEvalYaml, UserTaskFromYamlAndJsonlRunsInEval) {
  test::ScratchDir dir("lm_eval_yaml_user");
  write_user_task(dir);
  const auto run = test::run_quantscale("eval " + test::shared_file("models/tinystories-656k") + " --task-config " +
                                        dir.file("apples.yaml") + " --tasks apples --limit 4 --out " + dir.file("r.json"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const json results = json::parse(read_file(dir.file("r.json")));
  ASSERT_TRUE(results["results"].contains("apples")) << results.dump();
  EXPECT_EQ(results["n-samples"]["apples"]["effective"], 4);
  EXPECT_EQ(results["n-samples"]["apples"]["original"], 6);
  const double acc = results["results"]["apples"]["acc,none"].get<double>();
  EXPECT_GE(acc, 0.0);
  EXPECT_LE(acc, 1.0);
  EXPECT_EQ(results["versions"]["apples"], 2.0);
}

// The same task inside a study (real runner): the baseline and an RTN point record its metrics.
TEST(LmEvalYaml, UserTaskFromYamlRunsInAStudy) {
  test::ScratchDir dir("lm_eval_yaml_study");
  write_user_task(dir);
  write_file_atomic(dir.file("study.toml"),
                    test::tiny_study("out", "methods = [\"rtn\"]\nbits = [4]\ngroup_sizes = [32]\nseeds = [0]\n",
                                     "[evaluation]\ntasks = [\"apples\"]\ntask_config = \"apples.yaml\"\nlimit = 4\n\n"
                                     "[perplexity]\ntext = \"${shared}/text/wikitext2/wiki.test.raw\"\nctx = 64\nmax_tokens = 256\n"));
  const auto run = test::run_quantscale("--threads 1 sweep " + dir.file("study.toml"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto rows = test::query_rows(dir.file("out/results.db"),
                                     "SELECT stratum, acc_rand, n_samples FROM task_metrics WHERE task = 'apples' AND is_primary = 1");
  ASSERT_EQ(rows.size(), 2u) << run.output;  // the fp baseline and RTN 4-bit g32
  for (const auto& row : rows) EXPECT_EQ(row, "L2|0.5|4");
}

}  // namespace
}  // namespace qs
