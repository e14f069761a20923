// Rows of an lm-eval YAML task (JSON lines, a JSON array or a CSV with a header) rendered into
// documents with lm-eval's rules (lm_eval/api/task.py, ConfigurableTask):
//   doc_to_text:   a column name -> that field; else the template rendered.
//   doc_to_choice: a column name -> that list; a YAML list -> each item rendered; else the
//                  template's value, which must be a list (lm-eval: ast.literal_eval of it).
//   doc_to_target: a column name -> that field; else the template rendered; an all-digit
//                  rendering of a task with choices is an index. Multiple choice: an index into
//                  the choices, or a string looked up among them.
#include <functional>
#include <optional>

#include "core/atomic_file.h"
#include "core/error.h"
#include "eval/jinja_template.h"
#include "eval/loaders_internal.h"
#include "eval/row_reader.h"

namespace qs::loaders {
namespace {

using nlohmann::json;

void for_each_row(const std::string& path, const std::string& format, RowPolicy policy, LoadReport& report,
                  const std::function<void(const json&, const std::string&)>& visit) {
  if (format == "csv") {
    const auto records = parse_csv(path, rows::read_text(path));
    require(!records.empty(), path, "no header row");
    for (size_t r = 1; r < records.size(); ++r) {
      const std::string where = path + ":" + std::to_string(records[r].line);
      ++report.rows_read;
      rows::guarded(policy, report, [&] {
        require(records[r].fields.size() == records[0].fields.size(), where, "field count differs from the header's");
        json row = json::object();
        for (size_t f = 0; f < records[0].fields.size(); ++f) row[records[0].fields[f]] = records[r].fields[f];
        visit(row, where);
      });
    }
    return;
  }
  const std::string text = rows::read_text(path);
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '[') {
    rows::for_each_jsonl(path, policy, report, visit);
    return;
  }
  const json array = json::parse(text, nullptr, false);
  require(!array.is_discarded() && array.is_array(), path, "malformed JSON array");
  for (size_t r = 0; r < array.size(); ++r) {
    const std::string where = path + ": row " + std::to_string(r + 1);
    ++report.rows_read;
    rows::guarded(policy, report, [&] { visit(array[r], where); });
  }
}

// One doc_to_* entry: a column of the row, or a template.
class Field {
 public:
  Field(const std::string& value, const std::string& source) : value_(value) {
    if (!value.empty()) template_.emplace(value, source);
  }
  bool set() const { return !value_.empty(); }
  json value(const json& row) const {
    if (row.is_object() && row.contains(value_)) return row[value_];
    return template_->evaluate(row);
  }

 private:
  std::string value_;
  std::optional<JinjaTemplate> template_;
};

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

std::vector<std::string> as_strings(const json& value, const char* what, const std::string& where) {
  require(value.is_array(), where, std::string(what) + " must give a list, got " + python_str(value));
  std::vector<std::string> out;
  for (const auto& item : value) out.push_back(python_str(item));
  return out;
}

}  // namespace

std::vector<Doc> load_templated(const TaskSpec& spec, const SplitFiles& files, RowPolicy policy, LoadReport& report) {
  require(spec.templates != nullptr, "task '" + spec.name + "'", "lm_eval_yaml format without templates");
  const DocTemplates& t = *spec.templates;
  const Field text(t.text, t.source + ": doc_to_text"), target(t.target, t.source + ": doc_to_target"),
      choice(t.choice, t.source + ": doc_to_choice");
  std::vector<JinjaTemplate> choice_items;
  for (size_t i = 0; i < t.choice_list.size(); ++i)
    choice_items.emplace_back(t.choice_list[i], t.source + ": doc_to_choice[" + std::to_string(i) + "]");
  const bool has_choices = choice.set() || !choice_items.empty();
  require(spec.output_type != OutputType::MultipleChoice || has_choices, t.source, "multiple_choice needs doc_to_choice");

  std::vector<Doc> docs;
  for_each_row(files.path, t.data_format, policy, report, [&](const json& row, const std::string& where) {
    require(row.is_object(), where, "a row is not an object");
    Doc doc;
    if (text.set()) doc.text = python_str(text.value(row));
    if (choice.set()) doc.choices = as_strings(choice.value(row), "doc_to_choice", where);
    for (const auto& item : choice_items) doc.choices.push_back(item.render(row));
    if (target.set()) {
      json value = target.value(row);
      if (value.is_string() && has_choices && all_digits(value.get<std::string>())) value = std::stoll(value.get<std::string>());
      if (spec.output_type == OutputType::MultipleChoice) {
        int64_t gold = -1;
        if (value.is_number_integer()) gold = value.get<int64_t>();
        for (size_t c = 0; c < doc.choices.size() && value.is_string(); ++c)
          if (doc.choices[c] == value.get<std::string>()) gold = static_cast<int64_t>(c);
        doc.gold = rows::checked_gold(gold, doc.choices.size(), "doc_to_target", where);
      } else if (value.is_array()) {
        doc.targets = as_strings(value, "doc_to_target", where);
      } else {
        doc.targets = {python_str(value)};
      }
    }
    doc.id = static_cast<int64_t>(docs.size());
    docs.push_back(std::move(doc));
  });
  return docs;
}

}  // namespace qs::loaders
