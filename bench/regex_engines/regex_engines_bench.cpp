// Which engine should run pre-tokenizer patterns? Runs the GPT-2, Llama-3 and Qwen3 split patterns
// with the hand-written engine (src/tokenizer/regex.cpp, exact against Hugging Face on the parity
// corpus), Oniguruma (what the Rust `tokenizers` crate runs) and PCRE2 (UTF + UCP), and prints per
// engine and pattern: the parity-corpus strings whose match spans differ from the hand-written
// engine's, and the throughput on WikiText-2's test split (best of 5, one thread, in CPU time so
// that other processes on a shared machine do not count).
// Usage: regex_engines_bench   (reads ../shared like the tests; figures in docs/tokenizer.md)
#include <oniguruma.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/shared_paths.h"
#include "tokenizer/parity_corpus.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace {

using Spans = std::vector<std::pair<size_t, size_t>>;  // byte ranges
using Engine = std::function<Spans(const std::string&)>;

Engine hand_written(const std::string& pattern) {
  auto regex = std::make_shared<qs::Regex>(pattern, "bench");
  return [regex](const std::string& text) {
    std::vector<char32_t> code_points;
    std::vector<size_t> offsets;
    for (size_t pos = 0; pos < text.size();) {
      char32_t c = 0xFFFD;
      const size_t length = qs::unicode::decode_utf8(text, pos, c);
      code_points.push_back(c);
      offsets.push_back(pos);
      pos += length == 0 ? 1 : length;
    }
    offsets.push_back(text.size());
    Spans spans;
    for (auto [begin, end] : regex->find_all(code_points)) spans.emplace_back(offsets[begin], offsets[end]);
    return spans;
  };
}

// The onig crate's find_iter: search from the last end; after an empty match step one character.
Engine oniguruma(const std::string& pattern) {
  OnigRegex raw = nullptr;
  OnigErrorInfo info;
  const auto* p = reinterpret_cast<const OnigUChar*>(pattern.data());
  if (onig_new(&raw, p, p + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, ONIG_SYNTAX_ONIGURUMA, &info) != ONIG_NORMAL) {
    std::fprintf(stderr, "oniguruma rejects %s\n", pattern.c_str());
    std::exit(1);
  }
  std::shared_ptr<regex_t> regex(raw, onig_free);
  return [regex](const std::string& text) {
    Spans spans;
    OnigRegion* region = onig_region_new();
    const auto* begin = reinterpret_cast<const OnigUChar*>(text.data());
    const auto* end = begin + text.size();
    size_t start = 0;
    while (start <= text.size()) {
      const int at = onig_search(regex.get(), begin, end, begin + start, end, region, ONIG_OPTION_NONE);
      if (at < 0) break;
      const auto match_end = static_cast<size_t>(region->end[0]);
      spans.emplace_back(static_cast<size_t>(at), match_end);
      if (match_end > static_cast<size_t>(at)) {
        start = match_end;
      } else {
        start = match_end + 1;
        while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
      }
    }
    onig_region_free(region, 1);
    return spans;
  };
}

Engine pcre2(const std::string& pattern, bool jit) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* raw = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP,
                                  &error, &offset, nullptr);
  if (raw == nullptr) {
    std::fprintf(stderr, "pcre2 rejects %s\n", pattern.c_str());
    std::exit(1);
  }
  if (jit) pcre2_jit_compile(raw, PCRE2_JIT_COMPLETE);
  std::shared_ptr<pcre2_code> code(raw, pcre2_code_free);
  return [code](const std::string& text) {
    Spans spans;
    pcre2_match_data* data = pcre2_match_data_create_from_pattern(code.get(), nullptr);
    size_t start = 0;
    uint32_t options = 0;
    while (start <= text.size()) {
      const int rc = pcre2_match(code.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), start, options, data, nullptr);
      if (rc < 0) break;
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
      spans.emplace_back(ovector[0], ovector[1]);
      // The text was checked as UTF-8 by the first call; checking it again per match is quadratic.
      options = PCRE2_NO_UTF_CHECK | (ovector[0] == ovector[1] ? PCRE2_NOTEMPTY_ATSTART : 0);
      start = ovector[1];
    }
    pcre2_match_data_free(data);
    return spans;
  };
}

double thread_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::vector<std::pair<const char*, std::string>> patterns = {
      {"gpt2", R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"},
      {"llama3", R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
      {"qwen3", R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
  };
  const std::vector<std::string> corpus = qs::test::parity_corpus();
  const std::string wikitext = read_all(qs::shared_path("text/wikitext2/wiki.test.raw"));
  std::printf("parity corpus: %zu strings; WikiText-2 test: %.2f MB\n", corpus.size(), static_cast<double>(wikitext.size()) / 1e6);
  std::printf("%-8s %-12s %10s %10s  first difference\n", "pattern", "engine", "differ", "MB/s");
  for (const auto& [name, pattern] : patterns) {
    const Engine reference = hand_written(pattern);
    std::vector<Spans> expected;
    for (const std::string& s : corpus) expected.push_back(reference(s));
    const std::vector<std::pair<const char*, Engine>> engines = {
        {"hand-written", reference}, {"oniguruma", oniguruma(pattern)}, {"pcre2", pcre2(pattern, false)}, {"pcre2-jit", pcre2(pattern, true)}};
    for (const auto& [engine_name, engine] : engines) {
      size_t differ = 0;
      std::string first;
      for (size_t i = 0; i < corpus.size(); ++i) {
        if (engine(corpus[i]) == expected[i]) continue;
        if (differ++ == 0) first = corpus[i].substr(0, 60);
      }
      double best = 1e30;
      for (int repeat = 0; repeat < 5; ++repeat) {
        const double start = thread_seconds();
        const Spans spans = engine(wikitext);
        best = std::min(best, thread_seconds() - start);
        if (spans.empty()) std::printf("(no matches)\n");
      }
      std::printf("%-8s %-12s %10zu %10.1f  %s\n", name, engine_name, differ, static_cast<double>(wikitext.size()) / 1e6 / best,
                  differ ? ("\"" + first + "\"").c_str() : "");
    }
  }
  return 0;
}
