#include "tokenizer/parity_corpus.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "test_support.h"
#include "tokenizer/unicode.h"

namespace qs::test {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Lines of a file, "\r" kept (WikiText-2 has CRLF line ends).
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

void collect_strings(const nlohmann::json& value, std::vector<std::string>& out) {
  if (value.is_string()) {
    if (!value.get<std::string>().empty()) out.push_back(value.get<std::string>());
  } else if (value.is_array() || value.is_object()) {
    for (const auto& item : value) collect_strings(item, out);
  }
}

// Every stride-th element, at most `count`.
std::vector<std::string> sample(const std::vector<std::string>& items, size_t count) {
  if (items.size() <= count) return items;
  std::vector<std::string> out;
  const double stride = static_cast<double>(items.size()) / static_cast<double>(count);
  for (size_t i = 0; i < count; ++i) out.push_back(items[static_cast<size_t>(static_cast<double>(i) * stride)]);
  return out;
}

std::vector<std::string> benchmark_strings() {
  const std::string root = shared_file("benchmarks");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".jsonl" || ext == ".csv" || ext == ".txt") && name != "PROVENANCE.txt") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  EXPECT_GE(files.size(), 20u) << "expected the shared benchmark files under " << root;
  std::vector<std::string> all;
  for (const std::string& file : files) {
    std::vector<std::string> strings;
    for (const std::string& line : lines_of(read_all(file))) {
      if (file.ends_with(".jsonl")) {
        const auto row = nlohmann::json::parse(line, nullptr, false);
        if (!row.is_discarded()) collect_strings(row, strings);
      } else {
        strings.push_back(line);
      }
    }
    for (std::string& s : sample(strings, 150)) all.push_back(std::move(s));
  }
  return sample(all, 6000);
}

std::vector<std::string> text_strings(const std::string& relative, size_t lines, size_t chunks) {
  const std::vector<std::string> all = lines_of(read_all(shared_file(relative)));
  std::vector<std::string> out = sample(all, lines);
  for (size_t c = 0; c < chunks && all.size() > 8; ++c) {  // multi-line passages keep their line ends
    const size_t start = (c * 7919) % (all.size() - 8);
    std::string chunk;
    for (size_t i = 0; i < 6; ++i) chunk += all[start + i] + "\n";
    out.push_back(chunk);
  }
  return out;
}

}  // namespace

std::vector<std::string> adversarial_strings() {
  std::vector<std::string> fixed = {
      "", " ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\r\n\r\n", " \n ", "a\r\nb", "\t\tx", "x   y", "   leading",
      "trailing   ", "a \t\n b", "Hello\u00a0world", "x\u3000y", "x\u2028y", "x\u0085y", "\u200b", "\ufeffBOM",
      "\x01\x02\x7f", std::string("nul\0char", 8), "don't", "DON'T", "Don'T", "I'm", "I'M", "we'll", "WE'LL",
      "they're", "THEY'RE", "you've", "YOU'VE", "he'd", "HE'D", "it's", "IT'S", "'s", "'S", "'sa", "'Sa", "x'S",
      "'\u017fa", "x'\u017f", "'\u212aa", "''s", "' s", "\"quoted\"", "12345678901234567890", "3.14159",
      "1,000,000", "2024-01-31", "0x1F", "\u0663\u0664\u0665", "\u2460\u2461\u2462", "\u216b", "\u00bd",
      "x1y22z333w4444", "\xf0\x9f\x98\x80", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7",
      "\xf0\x9f\x87\xba\xf0\x9f\x87\xb8", "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", "\u4f60\u597d\u4e16\u754c",
      "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\ud55c\uad6d\uc5b4", "\u1100\u1161\u11a8",
      "e\u0301", "a\u0308\u0301", "\u0301start", "A\u030a", "\u212b", "\u1e9b\u0323", "q\u0323\u0307",
      "\ufb01", "\u0915\u094d\u0937", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "\u0645\u0631\u062d\u0628\u0627",
      "\u05e9\u05dc\u05d5\u05dd", "\u03b1\u03b2\u03b3 \u0391\u0392\u0393", "\u041f\u0440\u0438\u0432\u0435\u0442",
      "<|endoftext|>", "a<|endoftext|>b", " <|endoftext|> ", "<|endoftext|><|endoftext|>", "<|endoftext",
      "<|im_start|>user\nhi<|im_end|>\n", "<|im_start|>", "<|im_end|>", "<think>\n\n</think>\n\n",
      "<|begin_of_text|>Hello", "<|end_of_text|>", "<|eot_id|>", "<|reserved_special_token_5|>",
      "<|start_story|>", "Once <|start_story|> upon", "Once<|start_story|>upon", "<|end_story|>", "<unk>",
      "<s>", "</s>", "<0x41>", "<|padding|>", "\u00c3\u00a9", "\u00ef\u00bb\u00bf", "\ufffd", "\\xC0\\x80",
      "\uf8ff", "\U0010fffd", "\ufffe\uffff", "\U0001f6dc", "a\U000105c0b", "\u0110\u0111",
  };
  fixed.push_back(std::string(100, ' '));
  fixed.push_back(std::string(30, '\t'));
  fixed.push_back(std::string(50, '\n'));
  fixed.push_back(" \t \n \r\n  \t\t\n\n   x");
  fixed.push_back(std::string(200, '7'));
  fixed.push_back(std::string(500, 'a'));
  fixed.push_back(std::string(64, '!') + "word");

  // Random strings of mixed "atoms" (fixed seed, so the corpus is the same every run).
  const std::vector<std::string> atoms = {
      "the", "The", "THE", "quick", "brown", " fox", "Jumps", "over", "lazy", "dog", ".", ",", "!", "?", "...",
      ";", ":", "-", "--", "(", ")", "[", "]", "{", "}", "\"", "'", "`", "/", "\\", "@", "#", "$", "%", "^",
      "&", "*", "_", "+", "=", "<", ">", "|", "~", " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", "\u00a0",
      "0", "7", "42", "123", "2024", "99999", "3.5", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T",
      "'RE", "'VE", "'M", "'LL", "'D", "\u00e9", "e\u0301", "\u00fc", "u\u0308", "\u00df", "\u0130", "\u017f",
      "\u4e2d", "\u6587", "\u5b57", "\u3042", "\u30a2", "\ud55c", "\u1100\u1161", "\xf0\x9f\x98\x80",
      "\xf0\x9f\x8e\x89", "\xe2\x9d\xa4\xef\xb8\x8f", "\u0915", "\u093f", "\u0645", "\u05d0", "\u0e01",
      "\u03a9", "\u0416", "\u2013", "\u2014", "\u201c", "\u201d", "\u2026", "\u20ac", "\u00a3", "\u00b0",
      "\u2460", "\u00bd", "\u0660", "\u0301", "\u0308", "\u20dd", "\u200d", "\u200b", "\ufeff", "\u3000",
      "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|start_story|>", "<|end_story|>",
      "<think>", "</think>", "<unk>", "<0x0A>", "\U0001f600", "\U00010348", "\U0002a6d6",
  };
  std::mt19937 rng(20240531);
  std::uniform_int_distribution<size_t> pick(0, atoms.size() - 1);
  std::uniform_int_distribution<int> length(1, 40);
  for (int i = 0; i < 1500; ++i) {
    std::string s;
    const int n = length(rng);
    for (int j = 0; j < n; ++j) s += atoms[pick(rng)];
    fixed.push_back(std::move(s));
  }
  return fixed;
}

std::vector<std::string> parity_corpus() {
  std::vector<std::string> corpus = benchmark_strings();
  for (auto& s : text_strings("calibration/wikitext2_train_5k.txt", 2000, 100)) corpus.push_back(std::move(s));
  for (auto& s : text_strings("text/wikitext2/wiki.test.raw", 1500, 100)) corpus.push_back(std::move(s));
  for (auto& s : adversarial_strings()) corpus.push_back(std::move(s));
  const auto invalid = std::count_if(corpus.begin(), corpus.end(), [](const std::string& s) {
    return qs::unicode::find_invalid_utf8(s) != std::string::npos;
  });
  EXPECT_EQ(invalid, 0) << "corpus strings must be valid UTF-8";
  return corpus;
}

}  // namespace qs::test
