// Tokenizer loading errors, input validation and special tokens (parity with Hugging Face is in
// tokenizer_parity_test.cpp).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <thread>

#include "core/error.h"
#include "test_support.h"
#include "tokenizer/regex.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

using nlohmann::json;

// A tiny valid byte-level BPE tokenizer.json; tests break one field at a time.
json tiny_tokenizer() {
  return json::parse(R"({
    "version": "1.0",
    "added_tokens": [{"id": 5, "content": "<|endoftext|>", "special": true, "single_word": false,
                      "lstrip": false, "rstrip": false, "normalized": false}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "post_processor": null,
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġab": 4, "<|endoftext|>": 5},
              "merges": ["a b", "Ġ ab"]}
  })");
}

std::string write(const test::ScratchDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// Loading `text` must throw qs::Error whose message names the file and contains `expected`.
void expect_load_error(const std::string& text, const std::string& expected) {
  test::ScratchDir dir("tokenizer_errors");
  const std::string path = write(dir, "tokenizer.json", text);
  try {
    Tokenizer::load(path);
    ADD_FAILURE() << "loading succeeded; expected an error containing '" << expected << "'";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
}

TEST(TokenizerLoad, TinyTokenizerWorks) {
  test::ScratchDir dir("tokenizer_tiny");
  const auto tokenizer = Tokenizer::load(write(dir, "tokenizer.json", tiny_tokenizer().dump()));
  EXPECT_EQ(tokenizer->encode("ab ab<|endoftext|>", false), (std::vector<int32_t>{2, 4, 5}));
  EXPECT_EQ(tokenizer->decode(std::vector<int32_t>{2, 4, 5}, false), "ab ab<|endoftext|>");
  EXPECT_EQ(tokenizer->decode(std::vector<int32_t>{2, 4, 5}, true), "ab ab");
  EXPECT_EQ(tokenizer->eos_id(), 5);
  EXPECT_EQ(tokenizer->vocab_size(), 6);
  EXPECT_EQ(tokenizer->token_to_id("Ġab"), 4);
  EXPECT_EQ(tokenizer->id_to_token(4), "Ġab");
  EXPECT_FALSE(tokenizer->id_to_token(99).has_value());
}

TEST(TokenizerLoad, MalformedFilesNameFileAndField) {
  expect_load_error("{not json", "not valid JSON");
  expect_load_error("[1, 2]", "expected a JSON object");
  json doc = tiny_tokenizer();
  doc.erase("model");
  expect_load_error(doc.dump(), "'model'");
  doc = tiny_tokenizer();
  doc["model"].erase("vocab");
  expect_load_error(doc.dump(), "model.vocab");
  doc = tiny_tokenizer();
  doc["model"]["vocab"]["a"] = "zero";
  expect_load_error(doc.dump(), "model.vocab[\"a\"]");
  doc = tiny_tokenizer();
  doc["model"]["merges"] = {"a b", "a zzz"};
  expect_load_error(doc.dump(), "model.merges[1]: token 'zzz' is not in the vocabulary");
  doc["model"]["merges"] = {"a b c"};
  expect_load_error(doc.dump(), "model.merges[0]");
  doc = tiny_tokenizer();
  doc["model"]["type"] = "Unigram";
  expect_load_error(doc.dump(), "model.type': unsupported model type 'Unigram'");
  doc["model"]["type"] = "WordPiece";
  expect_load_error(doc.dump(), "unsupported model type 'WordPiece'");
  doc = tiny_tokenizer();
  doc["pre_tokenizer"] = {{"type", "BertPreTokenizer"}};
  expect_load_error(doc.dump(), "pre_tokenizer.type': unsupported pre_tokenizer type 'BertPreTokenizer'");
  doc = tiny_tokenizer();
  doc["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  expect_load_error(doc.dump(), "pre_tokenizer.pattern.Regex");
  doc = tiny_tokenizer();
  doc["normalizer"] = {{"type", "NFKC"}};
  expect_load_error(doc.dump(), "unsupported normalizer type 'NFKC'");
  doc = tiny_tokenizer();
  doc["decoder"] = {{"type", "WordPiece"}};
  expect_load_error(doc.dump(), "unsupported decoder type 'WordPiece'");
  doc = tiny_tokenizer();
  doc["added_tokens"][0]["id"] = -3;
  expect_load_error(doc.dump(), "added_tokens[0].id");
  doc = tiny_tokenizer();
  doc["post_processor"] = {{"type", "TemplateProcessing"}, {"single", {{{"SpecialToken", {{"id", "<s>"}}}}}},
                           {"special_tokens", json::object()}};
  expect_load_error(doc.dump(), "special_tokens.<s>");
}

TEST(TokenizerLoad, MissingFilesAreErrors) {
  test::ScratchDir dir("tokenizer_missing");
  EXPECT_THROW(Tokenizer::load(dir.file("nope")), Error);
  EXPECT_THROW(Tokenizer::load(dir.path()), Error);  // empty folder
  write(dir, "vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  write(dir, "merges.txt", "#version: 0.2\na b\nthree tokens here\n");
  try {
    Tokenizer::load(dir.path());
    ADD_FAILURE() << "malformed merges.txt accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("merges.txt:3"), std::string::npos) << error.what();
  }
}

TEST(TokenizerEncode, InvalidUtf8IsAnError) {
  const auto tokenizer = Tokenizer::load(test::shared_file("models/tinystories-656k"));
  for (const std::string bad : {"abc\xff", "\xc0\x80", "\xed\xa0\x80", "caf\xc3", "\xf4\x90\x80\x80"}) {
    try {
      tokenizer->encode(bad, true);
      ADD_FAILURE() << "accepted invalid UTF-8";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("not valid UTF-8"), std::string::npos) << error.what();
    }
  }
}

// BOS/EOS as each folder's tokenizer_config.json / special_tokens_map.json names them.
TEST(TokenizerSpecialTokens, BosEosFollowTheConfigFiles) {
  const auto tinystories = Tokenizer::load(test::shared_file("models/tinystories-656k"));
  EXPECT_EQ(tinystories->bos_id(), tinystories->token_to_id("<|start_story|>"));
  EXPECT_EQ(tinystories->eos_id(), tinystories->token_to_id("<|end_story|>"));
  EXPECT_EQ(tinystories->bos_id(), 1);  // the id tokenizer.json gives <|start_story|>
  EXPECT_EQ(tinystories->encode("", true), std::vector<int32_t>{1});
  EXPECT_TRUE(tinystories->encode("", false).empty());
  EXPECT_EQ(tinystories->vocab_size(), 2048);

  const auto llama = Tokenizer::load(test::shared_file("hf/meta-llama-Llama-3.1-8B"));
  EXPECT_EQ(llama->bos_id(), llama->token_to_id("<|begin_of_text|>"));
  EXPECT_EQ(llama->eos_id(), llama->token_to_id("<|end_of_text|>"));
  EXPECT_EQ(llama->vocab_size(), 128256);

  const auto gpt2 = Tokenizer::load(test::shared_file("hf/openai-community-gpt2"));
  EXPECT_EQ(gpt2->eos_id(), 50256);
  EXPECT_FALSE(gpt2->bos_id().has_value());  // no config names one and nothing is prepended
  EXPECT_EQ(gpt2->vocab_size(), 50257);
}

TEST(TokenizerEncode, ConcurrentEncodingGivesTheSameIds) {
  const auto tokenizer = Tokenizer::load(test::shared_file("hf/openai-community-gpt2"));
  const std::string text = "The quick brown fox jumps over the lazy dog, 12345 times! ";
  const auto expected = tokenizer->encode(text + text, false);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) ok[t] += tokenizer->encode(text + text, false) == expected;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 200);
}

// Issue 14 item 4: these patterns overflowed the stack (SIGSEGV) in the recursive parser, compiler
// and syntax-tree destructor; now the load fails with an error naming the file and the field.
TEST(TokenizerRegex, DeepNestingIsALoadErrorNotACrash) {
  std::string nested_groups;
  for (int i = 0; i < 17500; ++i) nested_groups += '(';
  nested_groups += 'a';
  for (int i = 0; i < 17500; ++i) nested_groups += ')';
  const std::string stacked_quantifiers = "a" + std::string(100000, '?');
  for (const std::string& regex : {nested_groups, stacked_quantifiers}) {
    json doc = tiny_tokenizer();
    doc["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}};
    expect_load_error(doc.dump(), "pre_tokenizer.pattern.Regex': regex: nesting deeper than 250 levels");
    doc = tiny_tokenizer();
    doc["normalizer"] = {{"type", "Replace"}, {"pattern", {{"Regex", regex}}}, {"content", "x"}};
    expect_load_error(doc.dump(), "normalizer.pattern.Regex': regex: nesting deeper than 250 levels");
  }
  // Just inside the limit still compiles and matches (the limit is not off by one).
  const std::string deepest = std::string(250, '(') + "a" + std::string(250, ')');
  const std::u32string text = U"bab";
  EXPECT_EQ(Regex(deepest, "test").find_all(text), (std::vector<std::pair<uint32_t, uint32_t>>{{1, 2}}));
  EXPECT_THROW(Regex("(" + deepest + ")", "test"), Error);
  std::string stacked = "a";
  for (int i = 0; i < 250; ++i) stacked += "{1}";
  EXPECT_EQ(Regex(stacked, "test").find_all(text), (std::vector<std::pair<uint32_t, uint32_t>>{{1, 2}}));
  EXPECT_THROW(Regex(stacked + "{1}", "test"), Error);
  // Repeats that multiply out are refused by program size, naming the field too.
  try {
    Regex("((a{1000}){1000}){1000}", "tokenizer.json: field 'x'");
    ADD_FAILURE() << "a 10^9-instruction pattern compiled";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("tokenizer.json: field 'x'"), std::string::npos) << error.what();
  }
}

TEST(TokenizerRegex, RejectsUnsupportedSyntaxAndRunawayBacktracking) {
  EXPECT_THROW(Regex("(?<name>x)", "test"), Error);
  EXPECT_THROW(Regex("x++", "test"), Error);
  EXPECT_THROW(Regex("\\p{Greek}", "test"), Error);
  EXPECT_THROW(Regex("[a-", "test"), Error);
  EXPECT_THROW(Regex("a{5,2}", "test"), Error);
  // Nested unbounded repeats over a non-matching tail would take exponential time: bounded instead.
  const Regex runaway("(a*)*b", "test");
  const std::u32string text(40, U'a');
  EXPECT_THROW(runaway.find_all(text), Error);
  // Leftmost-first alternation, greedy repeats and lookahead, as Oniguruma.
  const Regex pattern(R"(\s+(?!\S)|\s+|\p{L}+|\p{N}{1,3})", "test");
  const std::u32string input = U"ab   cd 12345";
  const auto matches = pattern.find_all(input);
  const std::vector<std::pair<uint32_t, uint32_t>> expected = {{0, 2}, {2, 4}, {4, 5}, {5, 7}, {7, 8}, {8, 11}, {11, 13}};
  EXPECT_EQ(matches, expected);
}

}  // namespace
}  // namespace qs
