#include "eval/python_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "tokenizer/regex.h"

namespace qs {
namespace {

constexpr uint32_t kHeapLimitKiB = 64 * 1024;       // backtracking frames of one match

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  return pcre2_get_error_message(code, buffer, sizeof buffer) < 0 ? "error " + std::to_string(code)
                                                                     : reinterpret_cast<const char*>(buffer);
}

// Python's \Z (end of text) is PCRE2's \z; PCRE2's \Z also allows a final newline.
std::string translate(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      out += '\\';
      out += !in_class && next == 'Z' ? 'z' : next;
      continue;
    }
    if (c == '[') in_class = true;
    if (c == ']') in_class = false;
    out += c;
  }
  return out;
}

}  // namespace

struct PythonRegex::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

PythonRegex::PythonRegex(const std::string& pattern, std::string where)
    : compiled_(std::make_unique<Compiled>()), where_(std::move(where)) {
  const std::string translated = translate(pattern);
  std::unique_ptr<pcre2_compile_context, decltype(&pcre2_compile_context_free)> context(pcre2_compile_context_create(nullptr),
                                                                                         &pcre2_compile_context_free);
  if (!context) throw Error(where_, "regex: out of memory");
  pcre2_set_parens_nest_limit(context.get(), Regex::kMaxNesting);  // PCRE2's default, stated so it cannot drift
  int code = 0;
  PCRE2_SIZE offset = 0;
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                  PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &code, &offset, context.get());
  if (compiled_->code == nullptr) {
    throw Error(where_, "regex \"" + pattern.substr(0, 80) + (pattern.size() > 80 ? "...\"" : "\"") + ": " + pcre2_message(code) +
                            " at byte " + std::to_string(offset));
  }
}

PythonRegex::~PythonRegex() = default;
PythonRegex::PythonRegex(PythonRegex&&) noexcept = default;
PythonRegex& PythonRegex::operator=(PythonRegex&&) noexcept = default;

int PythonRegex::group_count() const {
  uint32_t count = 0;
  pcre2_pattern_info(compiled_->code, PCRE2_INFO_CAPTURECOUNT, &count);
  return static_cast<int>(count);
}

std::vector<PythonRegex::Match> PythonRegex::find_all(std::string_view text) const {
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create_from_pattern(compiled_->code, nullptr), &pcre2_match_data_free);
  std::unique_ptr<pcre2_match_context, decltype(&pcre2_match_context_free)> context(pcre2_match_context_create(nullptr),
                                                                                     &pcre2_match_context_free);
  if (!data || !context) throw Error(where_, "regex: out of memory");
  // One budget for the whole scan, as the tokenizer's engine: linear in the text.
  const uint64_t steps = Regex::kBaseSteps + Regex::kStepsPerCodePoint * text.size();  // per byte here
  pcre2_set_match_limit(context.get(), static_cast<uint32_t>(std::min<uint64_t>(steps, UINT32_MAX)));
  pcre2_set_heap_limit(context.get(), kHeapLimitKiB);
  std::vector<Match> matches;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  bool after_empty = false;
  while (start <= text.size()) {
    // After an empty match Python's scanner looks again from the same place but refuses another
    // empty match there (sre `must_advance`): PCRE2_NOTEMPTY_ATSTART, unanchored.
    const int rc = pcre2_match(compiled_->code, subject, text.size(), start, after_empty ? PCRE2_NOTEMPTY_ATSTART : 0,
                               data.get(), context.get());
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT) {
      throw Error(where_, "regex: too many backtracking steps for a text of " + std::to_string(text.size()) +
                              " bytes (" + pcre2_message(rc) + ")");
    }
    if (rc < 0) throw Error(where_, "regex: " + pcre2_message(rc));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
    Match match;
    match.begin = ovector[0];
    match.end = ovector[1];
    for (int g = 0; g <= group_count(); ++g) {
      const PCRE2_SIZE begin = ovector[2 * g], end = ovector[2 * g + 1];
      if (g < rc && begin != PCRE2_UNSET) match.groups.emplace_back(std::string(text.substr(begin, end - begin)));
      else match.groups.emplace_back(std::nullopt);
    }
    after_empty = ovector[0] == ovector[1];
    start = ovector[1];
    matches.push_back(std::move(match));
  }
  return matches;
}

std::string PythonRegex::remove_all(std::string_view text) const {
  std::string out;
  size_t kept_from = 0;
  // The matches are in order and do not overlap: keep the text between them.
  for (const Match& match : find_all(text)) {
    out.append(text.substr(kept_from, match.begin - kept_from));
    kept_from = match.end;
  }
  out.append(text.substr(kept_from));
  return out;
}

}  // namespace qs
