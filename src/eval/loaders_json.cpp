// Loaders of the JSONL layouts (Mosaic ICL rewrites and original releases). Each renders the
// lm-eval task's doc_to_text from the fields the file has; the comments give the lm-eval
// template and how the shipped fields map onto it.
#include <map>

#include "core/error.h"
#include "eval/loaders_internal.h"
#include "eval/row_reader.h"
#include "eval/text_util.h"

namespace qs::loaders {
namespace {

using nlohmann::json;

std::string strip_prefix(const std::string& s, std::string_view prefix, const char* field, const std::string& where) {
  if (s.rfind(prefix, 0) != 0) throw Error(where, std::string("field '") + field + "': does not start with \"" + std::string(prefix) + "\"");
  return s.substr(prefix.size());
}

std::string strip_suffix(const std::string& s, std::string_view suffix, const char* field, const std::string& where) {
  if (s.size() < suffix.size() || s.compare(s.size() - suffix.size(), suffix.size(), suffix) != 0)
    throw Error(where, std::string("field '") + field + "': does not end with \"" + std::string(suffix) + "\"");
  return s.substr(0, s.size() - suffix.size());
}

Doc mc_doc(const json& row, const std::string& where, std::string text) {
  Doc doc;
  doc.text = std::move(text);
  doc.choices = rows::strings_field(row, "choices", where);
  doc.gold = rows::checked_gold(rows::int_field(row, "gold", where), doc.choices.size(), "gold", where);
  return doc;
}

using RowParser = Doc (*)(const json& row, const std::string& where, const TaskSpec& spec);

// {query, choices, gold}: doc_to_text = query (openbookqa: question_stem).
Doc mc_query(const json& row, const std::string& where, const TaskSpec&) {
  return mc_doc(row, where, rows::string_field(row, "query", where));
}

// ARC: lm-eval "Question: {{question}}\nAnswer:"; Mosaic's query is "Question: {{question}}".
Doc mc_question_answer(const json& row, const std::string& where, const TaskSpec&) {
  std::string query = rows::string_field(row, "query", where);
  strip_prefix(query, "Question: ", "query", where);
  return mc_doc(row, where, query + "\nAnswer:");
}

// BoolQ: lm-eval "{{passage}}\nQuestion: {{question}}?\nAnswer:", choices no/yes; Mosaic's
// query is "Passage: {{passage}}\nQuestion: {{question}}?".
Doc boolq_passage(const json& row, const std::string& where, const TaskSpec&) {
  std::string passage = strip_prefix(rows::string_field(row, "query", where), "Passage: ", "query", where);
  return mc_doc(row, where, passage + "\nAnswer:");
}

// COPA: lm-eval doc_to_text = premise[:-1] + " because|therefore", choices " " + lowercase-first
// choice. Mosaic's query is premise[:-1] + ", because|therefore" with choices already lowered.
Doc copa_connector(const json& row, const std::string& where, const TaskSpec&) {
  std::string query = rows::string_field(row, "query", where);
  std::string premise;
  for (const char* connector : {"because", "therefore"}) {
    std::string suffix = std::string(", ") + connector;
    if (query.size() >= suffix.size() && query.compare(query.size() - suffix.size(), suffix.size(), suffix) == 0)
      premise = query.substr(0, query.size() - suffix.size()).append(" ").append(connector);
  }
  if (premise.empty()) throw Error(where, "field 'query': does not end with \", because\" or \", therefore\"");
  Doc doc = mc_doc(row, where, premise);
  for (auto& choice : doc.choices) {
    if (choice.empty()) throw Error(where, "field 'choices': empty choice");
    if (choice[0] >= 'A' && choice[0] <= 'Z') choice[0] = static_cast<char>(choice[0] - 'A' + 'a');
    choice = std::string(1, ' ').append(choice);
  }
  return doc;
}

// Social IQa: lm-eval "Q: {{context}} {{question}}\nA:" with the answers' texts as choices.
// Mosaic rewrote it as "Context: ..\nQuestion: ..\nChoices:\nA. ..\nB. ..\nAnswer:" with
// letters as choices (and only two of the three answers); the texts are recovered from it.
Doc siqa_letters(const json& row, const std::string& where, const TaskSpec&) {
  std::string query = rows::string_field(row, "query", where);
  auto lines = text::split(strip_suffix(query, "\nAnswer:", "query", where), '\n');
  if (lines.size() < 4) throw Error(where, "field 'query': expected Context, Question, Choices lines");
  std::string context = strip_prefix(lines[0], "Context: ", "query", where);
  std::string question = strip_prefix(lines[1], "Question: ", "query", where);
  if (lines[2] != "Choices:") throw Error(where, "field 'query': third line is not \"Choices:\"");
  Doc doc = mc_doc(row, where, "Q: " + context + " " + question + "\nA:");
  if (doc.choices.size() != lines.size() - 3) throw Error(where, "field 'choices': count differs from the query's list");
  for (size_t i = 0; i < doc.choices.size(); ++i) doc.choices[i] = strip_prefix(lines[3 + i], doc.choices[i] + ". ", "query", where);
  return doc;
}

// WinoGrande partial scoring: contexts = sentence[:blank] + option, continuation = the text
// after the blank (stripped); doc_to_text returns the gold index ("multiple input").
Doc winogrande_partial(const json& row, const std::string& where, const TaskSpec&) {
  Doc doc;
  doc.choices = rows::strings_field(row, "context_options", where);
  doc.gold = rows::checked_gold(rows::int_field(row, "gold", where), doc.choices.size(), "gold", where);
  doc.targets = {rows::string_field(row, "continuation", where)};
  return doc;
}

// {context, continuation}: lambada_openai (doc_to_text = text minus its last word, target =
// " " + last word) and the Mosaic language-modelling tasks (llm-foundry continuation_delimiter).
Doc lm_continuation(const json& row, const std::string& where, const TaskSpec& spec) {
  Doc doc;
  doc.text = rows::string_field(row, "context", where) + spec.text_suffix;
  std::string target = " ";  // (built in two steps: GCC 12 -Wrestrict false positive on " " + string)
  target += rows::string_field(row, "continuation", where);
  doc.targets = {target};
  return doc;
}

// TriviaQA: lm-eval "Question: {{question}}?\nAnswer:", targets answer.aliases; Mosaic's
// context is "Question: {{question}}\nAnswer:" (the question as released, no '?' added).
Doc triviaqa_context(const json& row, const std::string& where, const TaskSpec&) {
  std::string question = strip_suffix(strip_prefix(rows::string_field(row, "context", where), "Question: ", "context", where),
                                      "\nAnswer:", "context", where);
  Doc doc;
  doc.text = "Question: " + question + "?\nAnswer:";
  doc.targets = rows::strings_field(row, "aliases", where);
  return doc;
}

// NQ-open: lm-eval "Q: {{question}}?\nA:", targets = answer list.
Doc nq_open(const json& row, const std::string& where, const TaskSpec&) {
  Doc doc;
  doc.text = "Q: " + rows::string_field(row, "question", where) + "?\nA:";
  doc.targets = rows::strings_field(row, "answer", where);
  return doc;
}

// GSM8K: lm-eval "Question: {{question}}\nAnswer:", target the whole answer ("... #### N").
Doc gsm8k(const json& row, const std::string& where, const TaskSpec&) {
  Doc doc;
  doc.text = "Question: " + rows::string_field(row, "question", where) + "\nAnswer:";
  std::string answer = rows::string_field(row, "answer", where);
  if (answer.find("#### ") == std::string::npos) throw Error(where, "field 'answer': no \"#### \" final answer");
  doc.targets = {answer};
  return doc;
}

// CommonsenseQA: lm-eval "Question: {{question.strip()}}\nA. ..\n..E. ..\nAnswer:", choices A-E,
// target answerKey.
Doc commonsense_qa(const json& row, const std::string& where, const TaskSpec&) {
  const json& question = rows::object_field(row, "question", where);
  const json& choices = question.contains("choices") ? question["choices"] : json();
  if (!choices.is_array() || choices.size() != 5) throw Error(where, "field 'question.choices': expected 5 choices");
  Doc doc;
  doc.text = "Question: " + text::strip(rows::string_field(question, "stem", where));
  static const char* kLetters[] = {"A", "B", "C", "D", "E"};
  for (size_t i = 0; i < 5; ++i) {
    if (!choices[i].is_object()) throw Error(where, "field 'question.choices': item is not an object");
    doc.text += std::string("\n") + kLetters[i] + ". " + rows::string_field(choices[i], "text", where);
    doc.choices.push_back(kLetters[i]);
  }
  doc.text += "\nAnswer:";
  std::string key = rows::string_field(row, "answerKey", where);
  doc.gold = -1;
  for (int i = 0; i < 5; ++i)
    if (key == kLetters[i]) doc.gold = i;
  if (doc.gold < 0) throw Error(where, "field 'answerKey': \"" + key + "\" is not one of A-E");
  return doc;
}

// PIQA: lm-eval "Question: {{goal}}\nAnswer:", choices [sol1, sol2]; labels line-aligned.
Doc piqa(const json& row, const std::string& where, const TaskSpec&) {
  Doc doc;
  doc.text = "Question: " + rows::string_field(row, "goal", where) + "\nAnswer:";
  doc.choices = {rows::string_field(row, "sol1", where), rows::string_field(row, "sol2", where)};
  return doc;
}

const std::map<std::string, RowParser>& parsers() {
  static const std::map<std::string, RowParser> table = {
      {"mc_query", mc_query},           {"mc_question_answer", mc_question_answer},
      {"boolq_passage", boolq_passage}, {"copa_connector", copa_connector},
      {"siqa_letters", siqa_letters},   {"winogrande_partial", winogrande_partial},
      {"lm_continuation", lm_continuation}, {"triviaqa_context", triviaqa_context},
      {"nq_open", nq_open},             {"gsm8k", gsm8k},
      {"commonsense_qa", commonsense_qa}, {"piqa", piqa},
  };
  return table;
}

}  // namespace

bool is_jsonl_format(const std::string& format) { return parsers().count(format) != 0; }

std::vector<std::string> jsonl_formats() {
  std::vector<std::string> names;
  for (const auto& [name, parser] : parsers()) names.push_back(name);
  return names;
}

std::vector<Doc> load_jsonl(const TaskSpec& spec, const SplitFiles& files, RowPolicy policy, LoadReport& report) {
  RowParser parse = parsers().at(spec.format);
  std::vector<Doc> docs;
  std::vector<int64_t> labels;
  if (!files.label_path.empty()) labels = read_labels(files.label_path);
  int64_t row_index = 0;
  rows::for_each_jsonl(files.path, policy, report, [&](const json& row, const std::string& where) {
    int64_t index = row_index++;
    Doc doc = parse(row, where, spec);
    if (!files.label_path.empty()) {
      if (index >= static_cast<int64_t>(labels.size()))
        throw Error(where, "no label: " + files.label_path + " has only " + std::to_string(labels.size()) + " lines");
      doc.gold = rows::checked_gold(labels[static_cast<size_t>(index)], doc.choices.size(), "label", where);
    }
    doc.id = static_cast<int64_t>(docs.size());
    docs.push_back(std::move(doc));
  });
  if (!files.label_path.empty() && static_cast<int64_t>(labels.size()) != row_index)
    throw Error(files.label_path, std::to_string(labels.size()) + " labels for " + std::to_string(row_index) + " rows");
  return docs;
}

}  // namespace qs::loaders
