// The Jinja subset (jinja_template.h): a tokenizer for the text between {{ }} / {% %}, a
// recursive-descent parser with Jinja2's precedence (or < and < not < comparisons < ~ < + - <
// * / // % < unary minus < filters < postfix . [] ()), and a tree-walking renderer.
#include "eval/jinja_template.h"

#include <cctype>
#include <functional>
#include <vector>

#include "core/error.h"
#include "eval/jinja_builtins.h"

namespace qs {
namespace {

using jinja::Value;

struct Expr {
  enum class Kind { Literal, Name, Attr, Index, Slice, Call, Filter, Unary, Binary, List, Dict, Cond } kind;
  Value literal;                             // Literal
  std::string name;                          // Name, Attr / Call (method), Filter, Unary / Binary operator
  std::vector<std::shared_ptr<Expr>> args;   // operands; Call / Filter: [self, arguments...]
};
using ExprPtr = std::shared_ptr<Expr>;

}  // namespace

struct JinjaTemplate::Node {
  enum class Kind { Text, Output, If, For, Sequence } kind = Kind::Sequence;
  std::string text;                          // Text
  ExprPtr expr;                              // Output; For: the iterable
  std::vector<std::string> loop_vars;        // For: one name or a (key, value) pair
  std::vector<std::pair<ExprPtr, std::shared_ptr<Node>>> branches;  // If: (condition or null for else, body)
  std::vector<std::shared_ptr<Node>> children;                      // Sequence; For: [body]
};

namespace {

using Node = JinjaTemplate::Node;
using NodePtr = std::shared_ptr<Node>;

struct Token {
  enum class Kind { Name, String, Number, Op, End } kind;
  std::string text;
  Value value;
};

std::vector<Token> tokenize(const std::string& s, const std::string& where) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      tokens.push_back({Token::Kind::Name, s.substr(i, j - i), {}});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      const std::string number = s.substr(i, j - i);
      tokens.push_back({Token::Kind::Number, number,
                        number.find('.') != std::string::npos ? Value(std::stod(number)) : Value(std::stoll(number))});
      i = j;
    } else if (c == '\'' || c == '"') {
      std::string text;
      size_t j = i + 1;
      for (; j < s.size() && s[j] != c; ++j) {
        if (s[j] != '\\' || j + 1 >= s.size()) {
          text += s[j];
          continue;
        }
        const char e = s[++j];
        text += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      }
      if (j >= s.size()) throw Error(where, "unterminated string literal in '" + s + "'");
      tokens.push_back({Token::Kind::String, text, text});
      i = j + 1;
    } else {
      static const char* const kOps[] = {"//", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ".", ",", ":",
                                         "|", "~", "+", "-", "*", "/", "%", "<", ">", "="};
      const char* found = nullptr;
      for (const char* op : kOps)
        if (s.compare(i, std::char_traits<char>::length(op), op) == 0) {
          found = op;
          break;
        }
      if (!found) throw Error(where, std::string("unexpected character '") + c + "' in '" + s + "'");
      tokens.push_back({Token::Kind::Op, found, {}});
      i += std::char_traits<char>::length(found);
    }
  }
  tokens.push_back({Token::Kind::End, "", {}});
  return tokens;
}

ExprPtr make(Expr::Kind kind, std::string name, std::vector<ExprPtr> args, Value literal = {}) {
  return std::make_shared<Expr>(Expr{kind, std::move(literal), std::move(name), std::move(args)});
}

class ExprParser {
 public:
  ExprParser(const std::string& text, std::string where) : where_(std::move(where)), tokens_(tokenize(text, where_)) {}

  ExprPtr parse_all() {
    ExprPtr e = expression();
    expect_end();
    return e;
  }
  // `for a, b in expr`: the loop variables, then the iterable.
  std::pair<std::vector<std::string>, ExprPtr> parse_for() {
    std::vector<std::string> vars{name_token()};
    while (accept(",")) vars.push_back(name_token());
    if (!accept_name("in")) fail("expected 'in' in a for loop");
    ExprPtr iterable = expression();
    expect_end();
    return {vars, iterable};
  }

 private:
  std::string where_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;

  [[noreturn]] void fail(const std::string& what) const { throw Error(where_, what); }
  const Token& peek() const { return tokens_[pos_]; }
  bool is_op(const char* op) const { return peek().kind == Token::Kind::Op && peek().text == op; }
  bool is_name(const char* name) const { return peek().kind == Token::Kind::Name && peek().text == name; }
  bool accept(const char* op) { return is_op(op) ? (++pos_, true) : false; }
  bool accept_name(const char* name) { return is_name(name) ? (++pos_, true) : false; }
  void expect(const char* op) {
    if (!accept(op)) fail(std::string("expected '") + op + "' before '" + peek().text + "'");
  }
  void expect_end() {
    if (peek().kind != Token::Kind::End) fail("unsupported Jinja syntax at '" + peek().text + "'");
  }
  std::string name_token() {
    if (peek().kind != Token::Kind::Name) fail("expected a name before '" + peek().text + "'");
    return tokens_[pos_++].text;
  }

  ExprPtr expression() {  // x if c else y
    ExprPtr value = or_expr();
    if (!accept_name("if")) return value;
    ExprPtr condition = or_expr();
    ExprPtr otherwise = accept_name("else") ? expression() : make(Expr::Kind::Literal, "", {}, Value(""));
    return make(Expr::Kind::Cond, "", {condition, value, otherwise});
  }
  ExprPtr or_expr() {
    ExprPtr e = and_expr();
    while (accept_name("or")) e = make(Expr::Kind::Binary, "or", {e, and_expr()});
    return e;
  }
  ExprPtr and_expr() {
    ExprPtr e = not_expr();
    while (accept_name("and")) e = make(Expr::Kind::Binary, "and", {e, not_expr()});
    return e;
  }
  ExprPtr not_expr() { return accept_name("not") ? make(Expr::Kind::Unary, "not", {not_expr()}) : comparison(); }
  ExprPtr comparison() {
    ExprPtr e = concat();
    for (;;) {
      if (is_name("is")) fail("Jinja tests ('is') are not supported");
      bool negated = is_name("not") && tokens_[pos_ + 1].kind == Token::Kind::Name && tokens_[pos_ + 1].text == "in";
      if (negated) pos_ += 2;
      if (negated || accept_name("in")) {
        ExprPtr test = make(Expr::Kind::Binary, "in", {e, concat()});
        e = negated ? make(Expr::Kind::Unary, "not", {test}) : test;
        continue;
      }
      const char* op = nullptr;
      for (const char* candidate : {"==", "!=", "<=", ">=", "<", ">"})
        if (is_op(candidate)) op = candidate;
      if (!op) return e;
      ++pos_;
      e = make(Expr::Kind::Binary, op, {e, concat()});
    }
  }
  ExprPtr concat() {
    ExprPtr e = additive();
    while (accept("~")) e = make(Expr::Kind::Binary, "~", {e, additive()});
    return e;
  }
  ExprPtr additive() {
    ExprPtr e = multiplicative();
    while (is_op("+") || is_op("-")) {
      std::string op = tokens_[pos_++].text;
      e = make(Expr::Kind::Binary, op, {e, multiplicative()});
    }
    return e;
  }
  ExprPtr multiplicative() {
    ExprPtr e = unary();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      std::string op = tokens_[pos_++].text;
      e = make(Expr::Kind::Binary, op, {e, unary()});
    }
    return e;
  }
  ExprPtr unary() {
    if (accept("-")) return make(Expr::Kind::Binary, "-", {make(Expr::Kind::Literal, "", {}, Value(0)), unary()});
    ExprPtr e = postfix();
    while (accept("|")) {
      std::vector<ExprPtr> args{e};
      std::string filter = name_token();
      if (accept("(")) arguments(args, ")");
      e = make(Expr::Kind::Filter, filter, args);
    }
    return e;
  }
  void arguments(std::vector<ExprPtr>& args, const char* close) {
    if (accept(close)) return;
    do {
      if (peek().kind == Token::Kind::Name && tokens_[pos_ + 1].kind == Token::Kind::Op && tokens_[pos_ + 1].text == "=")
        fail("keyword arguments are not supported");
      args.push_back(expression());
    } while (accept(","));
    expect(close);
  }
  ExprPtr postfix() {
    ExprPtr e = primary();
    for (;;) {
      if (accept(".")) {
        std::string attr = name_token();
        if (accept("(")) {
          std::vector<ExprPtr> args{e};
          arguments(args, ")");
          e = make(Expr::Kind::Call, attr, args);
        } else {
          e = make(Expr::Kind::Attr, attr, {e});
        }
      } else if (accept("[")) {
        ExprPtr begin = is_op(":") ? make(Expr::Kind::Literal, "", {}) : expression();
        if (accept(":")) {
          ExprPtr end = is_op("]") ? make(Expr::Kind::Literal, "", {}) : expression();
          if (is_op(":")) fail("slice steps are not supported");
          e = make(Expr::Kind::Slice, "", {e, begin, end});
        } else {
          e = make(Expr::Kind::Index, "", {e, begin});
        }
        expect("]");
      } else if (is_op("(")) {
        fail("calling '" + (e->kind == Expr::Kind::Name ? e->name : std::string("an expression")) + "' is not supported");
      } else {
        return e;
      }
    }
  }
  ExprPtr primary() {
    const Token token = peek();
    ++pos_;
    if (token.kind == Token::Kind::String || token.kind == Token::Kind::Number)
      return make(Expr::Kind::Literal, "", {}, token.value);
    if (token.kind == Token::Kind::Name) {
      if (token.text == "true" || token.text == "True") return make(Expr::Kind::Literal, "", {}, Value(true));
      if (token.text == "false" || token.text == "False") return make(Expr::Kind::Literal, "", {}, Value(false));
      if (token.text == "none" || token.text == "None") return make(Expr::Kind::Literal, "", {}, Value(nullptr));
      if (token.text == "range" && accept("(")) {
        std::vector<ExprPtr> args;
        arguments(args, ")");
        return make(Expr::Kind::Call, "range", args);
      }
      return make(Expr::Kind::Name, token.text, {});
    }
    if (token.text == "(") {
      ExprPtr e = expression();
      expect(")");
      return e;
    }
    if (token.text == "[") {
      std::vector<ExprPtr> items;
      arguments(items, "]");
      return make(Expr::Kind::List, "", items);
    }
    if (token.text == "{") {
      std::vector<ExprPtr> items;
      if (!accept("}")) {
        do {
          items.push_back(expression());
          expect(":");
          items.push_back(expression());
        } while (accept(","));
        expect("}");
      }
      return make(Expr::Kind::Dict, "", items);
    }
    fail("unexpected '" + token.text + "' in an expression");
  }
};

// Variables in scope: the document's fields, then loop variables on top.
struct Scope {
  const Value& doc;
  std::vector<std::pair<std::string, Value>> locals;
  const Value* find(const std::string& name) const {
    for (auto it = locals.rbegin(); it != locals.rend(); ++it)
      if (it->first == name) return &it->second;
    return doc.is_object() && doc.contains(name) ? &doc[name] : nullptr;
  }
};

Value eval(const Expr& e, const Scope& scope, const std::string& where) {
  auto arg = [&](size_t i) { return eval(*e.args[i], scope, where); };
  switch (e.kind) {
    case Expr::Kind::Literal: return e.literal;
    case Expr::Kind::Name: {
      const Value* v = scope.find(e.name);
      if (!v) throw Error(where, "'" + e.name + "' is undefined (not a field of the document)");
      return *v;
    }
    case Expr::Kind::Attr: return jinja::attribute(arg(0), e.name, where);
    case Expr::Kind::Index: return jinja::index_value(arg(0), arg(1), where);
    case Expr::Kind::Slice: return jinja::slice_value(arg(0), arg(1), arg(2), where);
    case Expr::Kind::List: {
      Value list = Value::array();
      for (size_t i = 0; i < e.args.size(); ++i) list.push_back(arg(i));
      return list;
    }
    case Expr::Kind::Dict: {
      Value dict = Value::object();
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) dict[python_str(arg(i))] = arg(i + 1);
      return dict;
    }
    case Expr::Kind::Cond: return jinja::truthy(arg(0)) ? arg(1) : arg(2);
    case Expr::Kind::Unary: return !jinja::truthy(arg(0));
    case Expr::Kind::Binary: {
      if (e.name == "and") return jinja::truthy(arg(0)) ? arg(1) : arg(0);
      if (e.name == "or") return jinja::truthy(arg(0)) ? arg(0) : arg(1);
      return jinja::binary(e.name, arg(0), arg(1), where);
    }
    case Expr::Kind::Call:
    case Expr::Kind::Filter: {
      std::vector<Value> values;
      for (size_t i = 0; i < e.args.size(); ++i) values.push_back(arg(i));
      if (e.kind == Expr::Kind::Call && e.name == "range") {
        if (values.size() != 1 || !values[0].is_number_integer()) throw Error(where, "range() takes one integer here");
        Value list = Value::array();
        for (int64_t i = 0; i < values[0].get<int64_t>(); ++i) list.push_back(i);
        return list;
      }
      const Value self = values[0];
      values.erase(values.begin());
      return e.kind == Expr::Kind::Call ? jinja::call_method(self, e.name, values, where)
                                        : jinja::apply_filter(e.name, self, values, where);
    }
  }
  return nullptr;
}

void render(const Node& node, Scope& scope, const std::string& where, std::string& out) {
  switch (node.kind) {
    case Node::Kind::Text: out += node.text; return;
    case Node::Kind::Output: out += python_str(eval(*node.expr, scope, where)); return;
    case Node::Kind::Sequence:
      for (const auto& child : node.children) render(*child, scope, where, out);
      return;
    case Node::Kind::If:
      for (const auto& [condition, body] : node.branches)
        if (!condition || jinja::truthy(eval(*condition, scope, where))) {
          render(*body, scope, where, out);
          return;
        }
      return;
    case Node::Kind::For: {
      const Value items = eval(*node.expr, scope, where);
      if (!items.is_array() && !items.is_object() && !items.is_string()) throw Error(where, "cannot loop over " + python_str(items));
      Value list = Value::array();
      if (items.is_string()) for (const auto& c : jinja::code_points(items.get<std::string>())) list.push_back(c);
      else if (items.is_object()) for (auto it = items.begin(); it != items.end(); ++it) list.push_back(it.key());
      else list = items;
      const size_t n = list.size();
      for (size_t i = 0; i < n; ++i) {
        const size_t mark = scope.locals.size();
        if (node.loop_vars.size() == 1) {
          scope.locals.emplace_back(node.loop_vars[0], list[i]);
        } else {
          if (!list[i].is_array() || list[i].size() != node.loop_vars.size()) throw Error(where, "cannot unpack " + python_str(list[i]));
          for (size_t k = 0; k < node.loop_vars.size(); ++k) scope.locals.emplace_back(node.loop_vars[k], list[i][k]);
        }
        scope.locals.emplace_back("loop", Value{{"index", i + 1}, {"index0", i}, {"first", i == 0}, {"last", i + 1 == n}, {"length", n}});
        render(*node.children[0], scope, where, out);
        scope.locals.resize(mark);
      }
      return;
    }
  }
}

// Splits the template into text and tags and builds the tree; `{%- ... -%}` / `{{- -}}` strip
// the whitespace on that side, as Jinja2 does.
class TemplateParser {
 public:
  TemplateParser(const std::string& text, std::string where) : text_(text), where_(std::move(where)) {}

  NodePtr parse() {
    NodePtr root = sequence({});
    if (pos_ < text_.size() || !pending_tag_.empty()) throw Error(where_, "unexpected {% " + pending_tag_ + " %}");
    return root;
  }

 private:
  const std::string& text_;
  std::string where_;
  size_t pos_ = 0;
  bool strip_next_ = false;
  std::string pending_tag_;  // the block tag that ended the last sequence

  static std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t\r\n");
    return b == std::string::npos ? "" : s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
  }
  static std::string keyword(const std::string& tag) { return tag.substr(0, tag.find_first_of(" \t\r\n")); }

  void add_text(NodePtr& seq, std::string text) {
    if (strip_next_) text.erase(0, text.find_first_not_of(" \t\r\n") == std::string::npos ? text.size() : text.find_first_not_of(" \t\r\n"));
    strip_next_ = false;
    if (!text.empty()) seq->children.push_back(std::make_shared<Node>(Node{Node::Kind::Text, std::move(text), {}, {}, {}, {}}));
  }

  // Parses until one of `terminators` (a block keyword) or the end; leaves that tag in pending_tag_.
  NodePtr sequence(const std::vector<std::string>& terminators) {
    auto seq = std::make_shared<Node>();
    for (;;) {
      const size_t open = text_.find('{', pos_);
      size_t tag_at = open;
      while (tag_at != std::string::npos && (tag_at + 1 >= text_.size() || std::string("{%#").find(text_[tag_at + 1]) == std::string::npos))
        tag_at = text_.find('{', tag_at + 1);
      std::string before = text_.substr(pos_, tag_at == std::string::npos ? std::string::npos : tag_at - pos_);
      if (tag_at == std::string::npos) {
        add_text(seq, before);
        pos_ = text_.size();
        if (!terminators.empty()) throw Error(where_, "missing {% " + terminators.back() + " %}");
        return seq;
      }
      const char kind = text_[tag_at + 1];
      const std::string close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
      const size_t end = text_.find(close, tag_at + 2);
      if (end == std::string::npos) throw Error(where_, "unterminated " + text_.substr(tag_at, 2));
      std::string inner = text_.substr(tag_at + 2, end - tag_at - 2);
      const bool strip_before = !inner.empty() && inner[0] == '-';
      const bool strip_after = !inner.empty() && inner.back() == '-';
      if (strip_before) {
        const size_t last = before.find_last_not_of(" \t\r\n");
        before.erase(last == std::string::npos ? 0 : last + 1);
      }
      add_text(seq, before);
      pos_ = end + 2;
      strip_next_ = strip_after;
      inner = trim(inner.substr(strip_before ? 1 : 0, inner.size() - (strip_before ? 1 : 0) - (strip_after ? 1 : 0)));
      if (kind == '#') continue;
      if (kind == '{') {
        seq->children.push_back(std::make_shared<Node>(Node{Node::Kind::Output, "", ExprParser(inner, where_).parse_all(), {}, {}, {}}));
        continue;
      }
      const std::string word = keyword(inner);
      for (const auto& t : terminators)
        if (word == t) {
          pending_tag_ = inner;
          return seq;
        }
      if (word == "if") seq->children.push_back(if_block(inner));
      else if (word == "for") seq->children.push_back(for_block(inner));
      else throw Error(where_, "unsupported Jinja construct {% " + inner + " %}");
    }
  }

  NodePtr if_block(std::string tag) {
    auto node = std::make_shared<Node>(Node{Node::Kind::If, "", nullptr, {}, {}, {}});
    for (;;) {
      const std::string word = keyword(tag);
      ExprPtr condition = word == "else" ? nullptr : ExprParser(tag.substr(word.size()), where_).parse_all();
      NodePtr body = sequence({"elif", "else", "endif"});
      node->branches.emplace_back(condition, body);
      tag = pending_tag_;
      pending_tag_.clear();
      if (keyword(tag) == "endif") return node;
      if (word == "else") throw Error(where_, "{% " + tag + " %} after {% else %}");
    }
  }

  NodePtr for_block(const std::string& tag) {
    auto [vars, iterable] = ExprParser(tag.substr(3), where_).parse_for();
    NodePtr body = sequence({"endfor"});
    pending_tag_.clear();
    return std::make_shared<Node>(Node{Node::Kind::For, "", iterable, vars, {}, {body}});
  }
};

}  // namespace

JinjaTemplate::JinjaTemplate(const std::string& text, std::string source)
    : source_(std::move(source)), root_(TemplateParser(text, source_).parse()) {}
JinjaTemplate::~JinjaTemplate() = default;
JinjaTemplate::JinjaTemplate(JinjaTemplate&&) noexcept = default;
JinjaTemplate& JinjaTemplate::operator=(JinjaTemplate&&) noexcept = default;

std::string JinjaTemplate::render(const nlohmann::json& doc) const {
  Scope scope{doc, {}};
  std::string out;
  ::qs::render(*root_, scope, source_, out);
  return out;
}

nlohmann::json JinjaTemplate::evaluate(const nlohmann::json& doc) const {
  if (root_->children.size() == 1 && root_->children[0]->kind == Node::Kind::Output) {
    Scope scope{doc, {}};
    return eval(*root_->children[0]->expr, scope, source_);
  }
  return render(doc);
}

}  // namespace qs
