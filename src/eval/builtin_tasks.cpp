// The built-in tasks: one entry per benchmark in shared/benchmarks, transcribed from
// lm-evaluation-harness's task YAMLs (lm_eval/tasks/<task>/...), with the file layout it is
// shipped in. Where the shipped data lacks lm-eval's few-shot split, few-shot examples come from
// the evaluation split itself, excluding the evaluated document (docs/eval.md).
#include "eval/builtin_tasks.h"

namespace qs {
namespace {

TaskSpec multiple_choice(std::string name, std::string format, std::string file, std::vector<std::string> metrics,
                         double chance, std::string stratum) {
  TaskSpec spec;
  spec.name = name;
  spec.lm_eval_task = name;
  spec.format = std::move(format);
  spec.eval_file = std::move(file);
  spec.output_type = OutputType::MultipleChoice;
  spec.primary_metric = metrics.back() + ",none";
  spec.metrics = std::move(metrics);
  spec.chance = chance;
  spec.stratum = std::move(stratum);
  return spec;
}

// triviaqa / nq_open: greedy until "\n", ".", ","; strip; exact match ignoring case/punctuation.
TaskSpec open_qa(std::string name, std::string format, std::string file) {
  TaskSpec spec;
  spec.name = name;
  spec.format = std::move(format);
  spec.eval_file = std::move(file);
  spec.output_type = OutputType::GenerateUntil;
  spec.until = {"\n", ".", ","};
  spec.filters = {{"remove_whitespace", {{FilterStep::Kind::RemoveWhitespace, "", 0, ""}, {FilterStep::Kind::TakeFirst, "", 0, ""}}}};
  spec.exact_match.ignore_case = true;
  spec.exact_match.ignore_punctuation = true;
  spec.metrics = {"exact_match"};
  spec.primary_metric = "exact_match,remove_whitespace";
  spec.stratum = "L1";
  return spec;
}

// Mosaic language-modelling tasks (no lm-eval task): acc = the continuation is the greedy one.
TaskSpec greedy_continuation(std::string name, std::string file, std::string text_suffix) {
  TaskSpec spec;
  spec.name = std::move(name);
  spec.format = "lm_continuation";
  spec.eval_file = std::move(file);
  spec.output_type = OutputType::Loglikelihood;
  spec.text_suffix = std::move(text_suffix);
  spec.target_delimiter = "";
  spec.fewshot_delimiter = "\n";
  spec.metrics = {"acc"};
  spec.primary_metric = "acc,none";
  spec.stratum = "L1";
  return spec;
}

}  // namespace

std::vector<TaskSpec> builtin_tasks() {
  std::vector<TaskSpec> tasks;

  TaskSpec triviaqa = open_qa("triviaqa_sm_sub", "triviaqa_context", "triviaqa_sm_sub/triviaqa_sm_sub.jsonl");
  triviaqa.lm_eval_task = "triviaqa";
  triviaqa.version = 3.0;
  tasks.push_back(triviaqa);

  TaskSpec nq = open_qa("nq_open", "nq_open", "nq_open/NQ-open.dev.jsonl");
  nq.lm_eval_task = "nq_open";
  nq.description = "Answer these questions:\n\n";
  nq.fewshot_delimiter = "\n";
  nq.exact_match.regexes_to_ignore = {"\\b(?:The |the |An |A |The |a |an )"};
  nq.version = 4.0;
  tasks.push_back(nq);

  tasks.push_back(greedy_continuation("bigbench_qa_wikidata", "bigbench_qa_wikidata/bigbench_qa_wikidata.jsonl", ""));
  tasks.push_back(greedy_continuation("jeopardy", "jeopardy/jeopardy_all.jsonl", "\nAnswer:"));

  TaskSpec lambada;
  lambada.name = lambada.lm_eval_task = "lambada_openai";
  lambada.format = "lm_continuation";
  lambada.eval_file = "lambada_openai/lambada_openai.jsonl";
  lambada.output_type = OutputType::Loglikelihood;
  lambada.metrics = {"perplexity", "acc"};
  lambada.primary_metric = "acc,none";
  lambada.stratum = "L1";
  lambada.fewshot_sample_extra = false;  // lm-eval draws k (not k+1) from the test docs themselves
  tasks.push_back(lambada);

  TaskSpec mmlu = multiple_choice("mmlu", "mmlu_csv", "mmlu/data/mmlu/test", {"acc"}, 0.25, "L2");
  mmlu.fewshot_file = "mmlu/data/mmlu/dev";
  mmlu.description = "The following are multiple choice questions (with answers) about {group}.\n\n";
  mmlu.sampler = SamplerKind::FirstN;
  mmlu.fewshot_sample_extra = false;
  tasks.push_back(mmlu);

  tasks.push_back(multiple_choice("hellaswag", "hellaswag_txt", "hellaswag/hellaswag_val_full.txt.bz2", {"acc", "acc_norm"}, 0.25, "L2"));

  TaskSpec piqa = multiple_choice("piqa", "piqa", "piqa/valid.jsonl", {"acc", "acc_norm"}, 0.5, "L2");
  piqa.label_file = "piqa/valid-labels.lst";
  tasks.push_back(piqa);

  TaskSpec winogrande = multiple_choice("winogrande", "winogrande_partial", "winogrande/winogrande.jsonl", {"acc"}, 0.5, "L2");
  winogrande.multiple_input = true;
  tasks.push_back(winogrande);

  tasks.push_back(multiple_choice("arc_easy", "mc_question_answer", "arc_easy/arc_easy.jsonl", {"acc", "acc_norm"}, 0.25, "L2"));

  TaskSpec boolq = multiple_choice("boolq", "boolq_passage", "boolq/boolq.jsonl", {"acc"}, 0.5, "L2");
  boolq.version = 2.0;
  tasks.push_back(boolq);

  tasks.push_back(multiple_choice("openbookqa", "mc_query", "openbookqa/openbook_qa.jsonl", {"acc", "acc_norm"}, 0.25, "L2"));

  TaskSpec csqa = multiple_choice("commonsense_qa", "commonsense_qa", "commonsense_qa/dev_rand_split.jsonl", {"acc"}, 0.2, "L2");
  csqa.fewshot_file = "commonsense_qa/train_rand_split.jsonl";
  tasks.push_back(csqa);

  tasks.push_back(multiple_choice("copa", "copa_connector", "copa/copa.jsonl", {"acc"}, 0.5, "L2"));

  TaskSpec siqa = multiple_choice("siqa", "siqa_letters", "siqa/siqa.jsonl", {"acc"}, 0.5, "L2");
  siqa.lm_eval_task = "social_iqa";
  siqa.version = 0.0;
  tasks.push_back(siqa);

  TaskSpec gsm8k;
  gsm8k.name = gsm8k.lm_eval_task = "gsm8k";
  gsm8k.format = "gsm8k";
  gsm8k.eval_file = "gsm8k/test.jsonl";
  gsm8k.fewshot_file = "gsm8k/train.jsonl";
  gsm8k.fewshot_sample_extra = false;
  gsm8k.default_shots = 5;
  gsm8k.output_type = OutputType::GenerateUntil;
  gsm8k.until = {"Question:", "</s>", "<|im_end|>"};
  gsm8k.filters = {
      {"strict-match", {{FilterStep::Kind::Regex, "#### (\\-?[0-9\\.\\,]+)", 0, "[invalid]"}, {FilterStep::Kind::TakeFirst, "", 0, ""}}},
      {"flexible-extract", {{FilterStep::Kind::Regex, "(-?[$0-9.,]{2,})|(-?[0-9]+)", -1, "[invalid]"}, {FilterStep::Kind::TakeFirst, "", 0, ""}}},
  };
  gsm8k.exact_match.regexes_to_ignore = {",", "\\$", "(?s).*#### ", "\\.$"};
  gsm8k.exact_match.ignore_case = true;
  gsm8k.metrics = {"exact_match"};
  gsm8k.primary_metric = "exact_match,strict-match";
  gsm8k.stratum = "L3";
  gsm8k.version = 3.0;
  tasks.push_back(gsm8k);

  tasks.push_back(multiple_choice("arc_challenge", "mc_question_answer", "arc_challenge/arc_challenge.jsonl", {"acc", "acc_norm"}, 0.25, "L3"));

  TaskSpec logiqa = multiple_choice("logiqa", "logiqa_txt", "logiqa/Test.txt", {"acc", "acc_norm"}, 0.25, "L3");
  logiqa.fewshot_file = "logiqa/Eval.txt";  // lm-eval: train (not shipped); validation instead
  logiqa.fewshot_sample_extra = false;
  tasks.push_back(logiqa);
  return tasks;
}

}  // namespace qs
