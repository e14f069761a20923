// libFuzzer target for the two regex engines that run user-supplied patterns: the tokenizer's
// (qs::Regex, pre-tokenizer and normalizer patterns of tokenizer.json) and the task configs'
// (qs::PythonRegex, PCRE2 with bounds: regexes_to_ignore and filters). Input:
//   byte 0: bit 0 picks the engine; bit 1 turns on amplification, so that short inputs reach the
//           deep patterns that crashed the old parsers (17,500 nested groups, 100,000 '?');
//   byte 1: with amplification, the repeat count / 200 (up to 51,000);
//   rest:   "pattern\0text"; amplified, the pattern is "prefix\x01middle\x01suffix" and expands to
//           prefix^n middle suffix^n.
// A pattern or text must end in a result or a qs::Error, never a crash, hang or sanitizer report;
// the matches must be in order, within the text and non-overlapping.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "eval/python_regex.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace {

constexpr size_t kMaxText = 1024;

std::string amplified(const std::string& spec, size_t count) {
  const size_t first = spec.find('\x01');
  const size_t second = first == std::string::npos ? std::string::npos : spec.find('\x01', first + 1);
  if (second == std::string::npos) return spec;
  const std::string prefix = spec.substr(0, first), middle = spec.substr(first + 1, second - first - 1),
                    suffix = spec.substr(second + 1);
  std::string pattern;
  for (size_t i = 0; i < count && pattern.size() < 200'000; ++i) pattern += prefix;
  pattern += middle;
  for (size_t i = 0; i < count && pattern.size() < 400'000; ++i) pattern += suffix;
  return pattern;
}

void check(bool condition) {
  if (!condition) std::abort();  // a finding: matches out of order or outside the text
}

void run_tokenizer_engine(const std::string& pattern, const std::string& bytes) {
  const qs::Regex regex(pattern, "<fuzz>");
  std::u32string text;
  for (size_t pos = 0; pos < bytes.size() && text.size() < kMaxText;) {
    char32_t c = 0xFFFD;
    const size_t length = qs::unicode::decode_utf8(bytes, pos, c);
    text.push_back(c);
    pos += length == 0 ? 1 : length;
  }
  uint32_t previous_end = 0;
  bool previous_empty = false;
  for (auto [begin, end] : regex.find_all(text)) {
    check(begin <= end && end <= text.size() && begin >= previous_end && !(previous_empty && begin == previous_end && begin == end));
    previous_end = end;
    previous_empty = begin == end;
  }
}

void run_task_engine(const std::string& pattern, const std::string& bytes) {
  const qs::PythonRegex regex(pattern, "<fuzz>");
  const std::string text = bytes.substr(0, kMaxText);
  size_t previous_end = 0;
  for (const auto& match : regex.find_all(text)) {
    check(match.begin <= match.end && match.end <= text.size() && match.begin >= previous_end);
    check(match.groups.size() == static_cast<size_t>(regex.group_count()) + 1);
    previous_end = match.end;
  }
  check(regex.remove_all(text).size() <= text.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool task_engine = (data[0] & 1) != 0;
  const bool amplify = (data[0] & 2) != 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t split = rest.find('\0');
  if (split == std::string::npos) return 0;
  std::string pattern = rest.substr(0, split);
  if (amplify) pattern = amplified(pattern, 1 + size_t{data[1]} * 200);
  try {
    if (task_engine) run_task_engine(pattern, rest.substr(split + 1));
    else run_tokenizer_engine(pattern, rest.substr(split + 1));
  } catch (const qs::Error&) {
  }
  return 0;
}
