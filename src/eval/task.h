#pragma once
// A benchmark task as data, in lm-evaluation-harness's terms: how its documents are loaded,
// how a document renders to a prompt (doc_to_text / doc_to_choice / doc_to_target and the
// delimiters), what requests it makes, which metrics it reports, its chance level Acc_rand and
// its knowledge stratum (L1 memory, L2 application, L3 reasoning).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qs {

enum class OutputType {
  Loglikelihood,         // one (context, target) request; acc = greedy, perplexity
  LoglikelihoodRolling,  // whole text scored in rolling windows; word/byte perplexity
  MultipleChoice,        // one request per choice; acc / acc_norm by argmax
  GenerateUntil,         // greedy generation until a stop string; exact_match after filters
};
const char* output_type_name(OutputType type);

// One document after loading: the prompt pieces lm-eval would compute for it.
struct Doc {
  int64_t id = 0;                     // 0-based position in its split (lm-eval doc_id)
  std::string text;                   // doc_to_text (rolling: the text to score)
  std::vector<std::string> choices;   // doc_to_choice; for multiple-input tasks the contexts
  int gold = -1;                      // index into choices (MultipleChoice)
  std::vector<std::string> targets;   // doc_to_target; targets[0] is the few-shot answer
  std::string group;                  // subtask (MMLU subject), "" otherwise
};

// One step of an lm-eval filter pipeline applied to a generation.
struct FilterStep {
  enum class Kind { RemoveWhitespace, Regex, TakeFirst } kind = Kind::TakeFirst;
  std::string pattern;  // Regex: Python `re` syntax
  int group_select = 0; // Regex: which match (negative counts from the end)
  std::string fallback = "[invalid]";
};
struct FilterPipeline {
  std::string name = "none";  // the key suffix in results ("exact_match,strict-match")
  std::vector<FilterStep> steps;
};

// HF evaluate's exact_match options (lm-eval metric_list kwargs).
struct ExactMatchOptions {
  std::vector<std::string> regexes_to_ignore;  // Python `re` syntax, removed from both sides
  bool ignore_case = false;
  bool ignore_punctuation = false;
  std::string source = {};  // where they were set (config file and task) for errors; "" = a built-in task
};

enum class SamplerKind { Random, FirstN };

// An lm-eval YAML task's doc_to_* (format "lm_eval_yaml", lm_eval_yaml.h): each is a field
// name of the row, a Jinja template (jinja_template.h) or, for choices, a list of templates;
// rendered per row with lm-eval's rules (ConfigurableTask.doc_to_text / _target / _choice).
struct DocTemplates {
  std::string source;                     // the YAML file, for errors
  std::string text, target, choice;      // "" = unset
  std::vector<std::string> choice_list;  // doc_to_choice given as a YAML list
  std::string data_format = "json";      // "json" (JSON lines or one JSON array) | "csv" (header row)
};

struct TaskSpec {
  std::string name;
  std::string format;        // loader name (see task_loaders.h)
  std::string eval_file;     // relative to the data dir
  std::string fewshot_file;  // relative; "" = draw few-shot examples from the evaluation split
  std::string label_file;    // piqa: labels beside the jsonl
  OutputType output_type = OutputType::MultipleChoice;
  bool multiple_input = false;  // winogrande: choices are contexts, targets[0] the continuation

  std::string description;   // prepended once; "{group}" = subtask name with '_' -> ' '
  std::string text_suffix;   // lm_continuation format: appended to the context ("\nAnswer:")
  std::string target_delimiter = " ";
  std::string fewshot_delimiter = "\n\n";
  SamplerKind sampler = SamplerKind::Random;
  // lm-eval samples k+1 and drops the evaluated document when the few-shot split is the
  // test split (or both are unset); the draw sequence depends on it.
  bool fewshot_sample_extra = true;
  int default_shots = 0;

  std::vector<std::string> until;  // GenerateUntil stop strings
  int max_gen_toks = 256;
  std::vector<FilterPipeline> filters;  // GenerateUntil; default: take_first as "none"
  ExactMatchOptions exact_match;

  std::vector<std::string> metrics;  // acc, acc_norm, acc_bytes, exact_match, perplexity,
                                     // word_perplexity, byte_perplexity, bits_per_byte
  std::string primary_metric;        // result key used as Acc, e.g. "acc_norm,none"
  double chance = 0;                 // Acc_rand
  // A multiple-choice task from a config file that states no `chance`: Acc_rand is the mean over
  // the evaluated documents of 1 / (number of choices), set when the documents are known.
  bool chance_from_choices = false;
  std::string stratum;               // "L1", "L2", "L3" (any label)
  double version = 1.0;              // lm-eval task version
  std::string lm_eval_task;          // corresponding lm-eval task name, "" if none
  std::shared_ptr<const DocTemplates> templates;  // format "lm_eval_yaml" only
};

}  // namespace qs
