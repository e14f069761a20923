#pragma once
// The subset of Jinja2 that lm-evaluation-harness task files use in doc_to_text / doc_to_target /
// doc_to_choice, rendered against one document (a JSON object) with lm-eval's environment
// (StrictUndefined: an unknown name is an error; keep_trailing_newline). No C++ Jinja library is
// packaged for Debian, hence this one. Supported:
//   {{ expr }}, {% if %}/{% elif %}/{% else %}/{% endif %}, {% for x in xs %}/{% endfor %}
//   (loop.index, loop.index0, loop.first, loop.last, loop.length), {# comments #}, and the
//   whitespace-control dashes ({{- -}}, {%- -%});
//   names, attribute and index access (a.b, a['b'], a[0], a[-1]), slices (a[1:], a[:-1]),
//   string / number / list / dict literals, true/false/none, + - * / // %, ~ (concatenation),
//   == != < > <= >=, in / not in, and / or / not, `x if c else y`, range(n);
//   filters trim, lower, upper, capitalize, title, replace, join, length/count, first, last,
//   string, int, float, default; Python methods of str/list (strip, lstrip, rstrip, split,
//   lower, upper, capitalize, replace, startswith, endswith, join, index, count).
// Values print as Python's str() does (lists as ['a', 'b']), which lm-eval relies on when a
// template renders a list that it then reads with ast.literal_eval.
// Anything else (macros, set, include, tests with `is`, other filters/methods) is an Error naming
// `source` and the construct. Strings are UTF-8; indexing and slicing count code points;
// lower/upper/capitalize/title change ASCII letters only.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace qs {

class JinjaTemplate {
 public:
  // `source` names the template in errors: "task.yaml: doc_to_text". Throws qs::Error.
  JinjaTemplate(const std::string& text, std::string source);
  ~JinjaTemplate();
  JinjaTemplate(JinjaTemplate&&) noexcept;
  JinjaTemplate& operator=(JinjaTemplate&&) noexcept;

  std::string render(const nlohmann::json& doc) const;
  // When the template is exactly one `{{ expr }}`, the value of expr (a list stays a list);
  // otherwise the rendered string. What lm-eval gets after ast.literal_eval of the rendering.
  nlohmann::json evaluate(const nlohmann::json& doc) const;

  struct Node;

 private:
  std::string source_;
  std::shared_ptr<const Node> root_;
};

// Python's str() of a JSON value: strings as they are, True/False/None, lists as ['a', 1].
std::string python_str(const nlohmann::json& value);

}  // namespace qs
