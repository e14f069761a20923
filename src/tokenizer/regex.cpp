#include "tokenizer/regex.h"

#include <cctype>
#include <memory>

#include "core/error.h"
#include "tokenizer/unicode.h"
#include "tokenizer/unicode_tables.h"

namespace qs {
namespace {

constexpr uint32_t kUnassignedBit = 1u << 29;
constexpr int kMaxRepeat = 1000;

uint32_t category_bit(char32_t c) {
  const int index = unicode::category_index(c);
  return index < 0 ? kUnassignedBit : (1u << index);
}

// Mask of the categories whose names start with `name` ("L" -> Lu|Ll|Lt|Lm|Lo, "Nd" -> Nd).
uint32_t category_mask(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kLongNames[] = {
      {"Letter", "L"}, {"Mark", "M"}, {"Number", "N"}, {"Punctuation", "P"}, {"Symbol", "S"},
      {"Separator", "Z"}, {"Other", "C"}, {"Uppercase_Letter", "Lu"}, {"Lowercase_Letter", "Ll"},
      {"Decimal_Number", "Nd"}, {"Cn", "Cn"}};
  for (const auto& [long_name, short_name] : kLongNames) {
    if (name == long_name) name = short_name;
  }
  if (name.empty() || name.size() > 2) return 0;
  uint32_t mask = 0;
  for (int i = 0; i < unicode_tables::kCategoryCount; ++i) {
    if (std::string_view(unicode_tables::kCategoryNames[i]).substr(0, name.size()) == name) mask |= 1u << i;
  }
  if (name == "C" || name == "Cn") mask |= kUnassignedBit;
  return mask;
}

struct RegexNode {
  enum class Kind { Empty, Char, Any, Class, Concat, Alternate, Repeat, Look } kind = Kind::Empty;
  char32_t c = 0;
  bool fold = false;      // Char
  uint32_t class_index = 0;
  int min = 0, max = 0;   // Repeat (max -1 = unbounded)
  bool greedy = true;
  bool negative = false;  // Look
  std::vector<std::unique_ptr<RegexNode>> children;
};
using RegexNodePtr = std::unique_ptr<RegexNode>;

class Parser {
 public:
  Parser(std::u32string pattern, const std::string& where, std::vector<Regex::CharClass>& classes)
      : p_(std::move(pattern)), where_(where), classes_(classes) {}

  RegexNodePtr parse() {
    RegexNodePtr node = alternation(false);
    if (pos_ != p_.size()) fail("unbalanced ')'");
    return node;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(where_, "regex: " + what + " at character " + std::to_string(pos_));
  }
  bool at_end() const { return pos_ >= p_.size(); }
  char32_t peek() const { return at_end() ? 0 : p_[pos_]; }
  bool eat(char32_t c) {
    if (at_end() || p_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  // One more level of nesting (a group or a stacked quantifier), refused past Regex::kMaxNesting.
  void nest(int& depth) const {
    if (++depth > Regex::kMaxNesting) fail("nesting deeper than " + std::to_string(Regex::kMaxNesting) + " levels");
  }

  RegexNodePtr alternation(bool fold) {
    auto alt = std::make_unique<RegexNode>();
    alt->kind = RegexNode::Kind::Alternate;
    alt->children.push_back(sequence(fold));
    while (eat('|')) alt->children.push_back(sequence(fold));
    if (alt->children.size() == 1) return std::move(alt->children[0]);
    return alt;
  }

  RegexNodePtr sequence(bool fold) {
    auto seq = std::make_unique<RegexNode>();
    seq->kind = RegexNode::Kind::Concat;
    while (!at_end() && peek() != '|' && peek() != ')') seq->children.push_back(quantified(fold));
    return seq;
  }

  int number() {
    if (at_end() || peek() < '0' || peek() > '9') fail("expected a number");
    int value = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      value = value * 10 + static_cast<int>(p_[pos_++] - '0');
      if (value > kMaxRepeat) fail("repeat count too large");
    }
    return value;
  }

  RegexNodePtr quantified(bool fold) {
    RegexNodePtr atom_node = atom(fold);
    int depth = depth_;
    while (!at_end()) {
      int min, max;
      if (eat('*')) {
        min = 0, max = -1;
      } else if (eat('+')) {
        min = 1, max = -1;
      } else if (eat('?')) {
        min = 0, max = 1;
      } else if (peek() == '{') {
        ++pos_;
        min = number();
        max = min;
        if (eat(',')) max = peek() == '}' ? -1 : number();
        if (!eat('}')) fail("expected '}'");
        if (max != -1 && max < min) fail("bad repeat bounds");
      } else {
        break;
      }
      nest(depth);
      auto repeat = std::make_unique<RegexNode>();
      repeat->kind = RegexNode::Kind::Repeat;
      repeat->min = min;
      repeat->max = max;
      if (eat('?')) repeat->greedy = false;
      else if (peek() == '+') fail("possessive quantifiers are not supported");
      repeat->children.push_back(std::move(atom_node));
      atom_node = std::move(repeat);
    }
    return atom_node;
  }

  RegexNodePtr atom(bool fold) {
    auto node = std::make_unique<RegexNode>();
    const char32_t c = p_[pos_++];
    if (c == '(') {
      nest(depth_);
      if (eat('?')) {
        if (eat(':')) {
          node = alternation(fold);
        } else if (eat('i')) {
          if (!eat(':')) fail("only (?i:...) groups are supported");
          node = alternation(true);
        } else if (eat('!') || (peek() == '=' && eat('='))) {
          node->kind = RegexNode::Kind::Look;
          node->negative = p_[pos_ - 1] == '!';
          node->children.push_back(alternation(fold));
        } else {
          fail("unsupported group syntax");
        }
      } else {
        node = alternation(fold);
      }
      if (!eat(')')) fail("missing ')'");
      --depth_;
      return node;
    }
    if (c == '[') return char_class(fold);
    if (c == '.') {
      node->kind = RegexNode::Kind::Any;
      return node;
    }
    if (c == '*' || c == '+' || c == '?' || c == '{' || c == ')' || c == '^' || c == '$') {
      fail("unsupported or misplaced '" + std::string(1, static_cast<char>(c)) + "'");
    }
    Regex::ClassItem item;
    if (c == '\\' && escape(item)) {  // a class escape such as \p{L} or \s
      Regex::CharClass cls;
      cls.items.push_back(item);
      return class_node(std::move(cls), fold);
    }
    node->kind = RegexNode::Kind::Char;
    node->c = c == '\\' ? item.low : c;
    node->fold = fold;
    return node;
  }

  RegexNodePtr class_node(Regex::CharClass cls, bool fold) {
    cls.fold = fold;
    auto node = std::make_unique<RegexNode>();
    node->kind = RegexNode::Kind::Class;
    node->class_index = static_cast<uint32_t>(classes_.size());
    classes_.push_back(std::move(cls));
    return node;
  }

  // After a backslash. Returns true for a class escape (stored in item); false for a literal
  // character, stored in item.low.
  bool escape(Regex::ClassItem& item) {
    if (at_end()) fail("trailing backslash");
    const char32_t c = p_[pos_++];
    switch (c) {
      case 'n': item.low = '\n'; return false;
      case 'r': item.low = '\r'; return false;
      case 't': item.low = '\t'; return false;
      case 'f': item.low = '\f'; return false;
      case 'v': item.low = '\v'; return false;
      case 'x':
      case 'u': {
        const bool braced = eat('{');
        char32_t value = 0;
        int digits = 0;
        while (!at_end() && std::isxdigit(static_cast<int>(peek() < 128 ? peek() : 'g')) && (braced || digits < (c == 'x' ? 2 : 4))) {
          const char32_t h = p_[pos_++];
          value = value * 16 + static_cast<char32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
          if (++digits > 6) fail("bad hex escape");
        }
        if ((braced && !eat('}')) || digits == 0 || value > 0x10FFFF) fail("bad hex escape");
        item.low = value;
        return false;
      }
      case 's': case 'S':
        item.space = true;
        item.negated = c == 'S';
        return true;
      case 'd': case 'D':
        item.category_mask = category_mask("Nd");
        item.negated = c == 'D';
        return true;
      case 'w': case 'W':
        item.category_mask = category_mask("L") | category_mask("M") | category_mask("Nd") | category_mask("Pc");
        item.negated = c == 'W';
        return true;
      case 'p': case 'P': {
        if (!eat('{')) fail("expected '{' after \\p");
        bool negated = c == 'P';
        if (eat('^')) negated = !negated;
        std::string name;
        while (!at_end() && peek() != '}') name.push_back(static_cast<char>(p_[pos_++] & 0x7F));
        if (!eat('}')) fail("missing '}' after \\p{");
        item.category_mask = category_mask(name);
        if (item.category_mask == 0) fail("unsupported property \\p{" + name + "}");
        item.negated = negated;
        return true;
      }
      default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
          fail(std::string("unsupported escape \\") + static_cast<char>(c));
        }
        item.low = c;
        return false;
    }
  }

  RegexNodePtr char_class(bool fold) {
    Regex::CharClass cls;
    cls.negated = eat('^');
    bool first = true;
    while (!at_end() && (peek() != ']' || first)) {
      first = false;
      Regex::ClassItem item;
      char32_t c = p_[pos_++];
      if (c == '[') fail("nested classes are not supported");
      if (c == '\\' && escape(item)) {
        cls.items.push_back(item);
        continue;
      }
      if (c == '\\') c = item.low;
      item.low = item.high = c;
      if (peek() == '-' && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
        ++pos_;
        char32_t high = p_[pos_++];
        if (high == '\\') {
          Regex::ClassItem end_item;
          if (escape(end_item)) fail("bad class range");
          high = end_item.low;
        }
        if (high < c) fail("bad class range");
        item.high = high;
      }
      cls.items.push_back(item);
    }
    if (!eat(']')) fail("missing ']'");
    return class_node(std::move(cls), fold);
  }

  std::u32string p_;
  size_t pos_ = 0;
  int depth_ = 0;  // groups open at pos_
  const std::string& where_;
  std::vector<Regex::CharClass>& classes_;
};

class Compiler {
 public:
  Compiler(std::vector<Regex::Inst>& program, const std::string& where) : program_(program), where_(where) {}

  void emit(const RegexNode& node) {
    using Op = Regex::Op;
    switch (node.kind) {
      case RegexNode::Kind::Empty: return;
      case RegexNode::Kind::Char: push({Op::Char, node.fold, node.c}); return;
      case RegexNode::Kind::Any: push({Op::Any}); return;
      case RegexNode::Kind::Class: push({Op::Class, false, 0, node.class_index}); return;
      case RegexNode::Kind::Concat:
        for (const auto& child : node.children) emit(*child);
        return;
      case RegexNode::Kind::Alternate: {
        std::vector<size_t> jumps;
        for (size_t i = 0; i < node.children.size(); ++i) {
          const bool last = i + 1 == node.children.size();
          const size_t split = last ? 0 : push({Op::Split});
          if (!last) program_[split].x = here();
          emit(*node.children[i]);
          if (!last) {
            jumps.push_back(push({Op::Jump}));
            program_[split].y = here();
          }
        }
        for (size_t jump : jumps) program_[jump].x = here();
        return;
      }
      case RegexNode::Kind::Repeat: {
        const RegexNode& body = *node.children[0];
        for (int i = 0; i < node.min; ++i) emit(body);
        if (node.max == -1) {
          const size_t split = push({Op::Split});
          emit(body);
          const size_t jump = push({Op::Jump});
          program_[jump].x = static_cast<uint32_t>(split);
          prefer(split, split + 1, here(), node.greedy);
        } else {
          std::vector<size_t> splits;
          for (int i = node.min; i < node.max; ++i) {
            splits.push_back(push({Op::Split}));
            emit(body);
          }
          for (size_t split : splits) prefer(split, split + 1, here(), node.greedy);
        }
        return;
      }
      case RegexNode::Kind::Look: {
        const size_t look = push({Op::Look, node.negative});
        emit(*node.children[0]);
        push({Op::Match});
        program_[look].x = here();
        return;
      }
    }
  }
  size_t push(Regex::Inst inst) {
    if (program_.size() > 1'000'000) throw Error(where_, "regex: pattern compiles to too many instructions");
    program_.push_back(inst);
    return program_.size() - 1;
  }
  uint32_t here() const { return static_cast<uint32_t>(program_.size()); }

 private:
  void prefer(size_t split, size_t body, uint32_t out, bool greedy) {
    program_[split].x = greedy ? static_cast<uint32_t>(body) : out;
    program_[split].y = greedy ? out : static_cast<uint32_t>(body);
  }
  std::vector<Regex::Inst>& program_;
  const std::string& where_;
};

}  // namespace

Regex::Regex(std::string_view pattern, const std::string& where) : where_(where) {
  std::u32string code_points;
  for (size_t pos = 0; pos < pattern.size();) {
    char32_t c;
    const size_t length = unicode::decode_utf8(pattern, pos, c);
    if (length == 0) throw Error(where, "regex: pattern is not valid UTF-8");
    code_points.push_back(c);
    pos += length;
  }
  RegexNodePtr root = Parser(std::move(code_points), where_, classes_).parse();
  Compiler compiler(program_, where_);
  compiler.emit(*root);
  compiler.push({Op::Match});
  for (CharClass& cls : classes_) {
    uint64_t ascii[2] = {0, 0};  // class_matches must not see a half-filled table
    for (char32_t c = 0; c < 128; ++c) {
      if (class_matches(cls, c)) ascii[c / 64] |= uint64_t{1} << (c % 64);
    }
    cls.ascii[0] = ascii[0];
    cls.ascii[1] = ascii[1];
  }
}

bool Regex::class_matches(const CharClass& cls, char32_t c) const {
  if (c < 128 && (cls.ascii[0] | cls.ascii[1]) != 0) return ((cls.ascii[c / 64] >> (c % 64)) & 1) != 0;
  const auto test = [&](char32_t x) {
    uint32_t bit = 0;
    for (const ClassItem& item : cls.items) {
      bool hit;
      if (item.space) {
        hit = unicode::is_white_space(x);
      } else if (item.category_mask != 0) {
        if (bit == 0) bit = category_bit(x);
        hit = (item.category_mask & bit) != 0;
      } else {
        hit = x >= item.low && x <= item.high;
      }
      if (hit != item.negated) return true;
    }
    return false;
  };
  const bool hit = test(c) || (cls.fold && unicode::simple_case_fold(c) != c && test(unicode::simple_case_fold(c)));
  return hit != cls.negated;
}

bool Regex::match_at(uint32_t start_pc, std::span<const char32_t> text, uint32_t start_pos, uint32_t& end,
                     uint64_t& budget, Stack& stack) const {
  // Backtrack points of this call live above `base`; a lookahead reuses the stack above ours.
  const size_t base = stack.size();
  stack.emplace_back(start_pc, start_pos);
  while (stack.size() > base) {
    auto [pc, pos] = stack.back();
    stack.pop_back();
    while (true) {
      if (budget-- == 0) throw Error(where_, "regex: too many backtracking steps for this input");
      const Inst& inst = program_[pc];
      if (inst.op == Op::Match) {
        end = pos;
        stack.resize(base);
        return true;
      }
      if (inst.op == Op::Split) {
        stack.emplace_back(inst.y, pos);
        pc = inst.x;
        continue;
      }
      if (inst.op == Op::Jump) {
        pc = inst.x;
        continue;
      }
      if (inst.op == Op::Look) {
        uint32_t ignored;
        const bool found = match_at(pc + 1, text, pos, ignored, budget, stack);
        if (found == inst.flag) break;
        pc = inst.x;
        continue;
      }
      if (pos >= text.size()) break;
      const char32_t c = text[pos];
      bool ok;
      if (inst.op == Op::Char) {
        ok = c == inst.c || (inst.flag && unicode::simple_case_fold(c) == unicode::simple_case_fold(inst.c));
      } else if (inst.op == Op::Any) {
        ok = c != '\n';
      } else {
        ok = class_matches(classes_[inst.x], c);
      }
      if (!ok) break;
      ++pos;
      ++pc;
    }
  }
  return false;
}

std::vector<std::pair<uint32_t, uint32_t>> Regex::find_all(std::span<const char32_t> text) const {
  std::vector<std::pair<uint32_t, uint32_t>> matches;
  uint32_t pos = 0;
  const auto size = static_cast<uint32_t>(text.size());
  Stack stack;
  uint64_t budget = kStepsPerCodePoint * (uint64_t{size} + 1) + kBaseSteps;
  while (pos <= size) {
    uint32_t end = 0;
    if (match_at(0, text, pos, end, budget, stack)) {
      matches.emplace_back(pos, end);
      pos = end > pos ? end : pos + 1;
    } else {
      ++pos;
    }
  }
  return matches;
}

}  // namespace qs
