// vocab.json + merges.txt (+ tokenizer_config.json) -> the equivalent tokenizer.json document.
// Supported tokenizer classes: GPT-2 style byte-level BPE (GPT2Tokenizer, GPTNeoXTokenizer, ... and
// no tokenizer_config.json) and Qwen2Tokenizer (Qwen2/2.5/3: NFC + Qwen's split pattern).
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"
#include "tokenizer/tokenizer_files.h"

namespace qs::tokenizer_files {
namespace {

using nlohmann::json;

// transformers' Qwen2Tokenizer PRETOKENIZE_REGEX.
constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

json read_merges(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot open file");
  json merges = json::array();
  std::string line;
  size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_number == 1 && line.rfind("#version", 0) == 0) continue;
    if (line.empty()) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == line.size() || line.find(' ', space + 1) != std::string::npos) {
      throw Error(path + ":" + std::to_string(line_number), "expected two tokens separated by one space");
    }
    merges.push_back(json::array({line.substr(0, space), line.substr(space + 1)}));
  }
  return merges;
}

// "<|endoftext|>" or {"content": "<|endoftext|>", ...} -> the content; "" when absent or null.
std::string token_content(const json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) return (*it)["content"].get<std::string>();
  return "";
}

}  // namespace

json tokenizer_json_from_vocab_merges(const std::string& folder) {
  const std::string vocab_path = folder + "/vocab.json";
  const std::string config_path = folder + "/tokenizer_config.json";
  json vocab = read_json(vocab_path);
  if (!vocab.is_object()) throw Error(vocab_path, "expected an object mapping tokens to ids");
  json config = std::filesystem::exists(config_path) ? read_json(config_path) : json::object();
  if (!config.is_object()) throw Error(config_path, "expected a JSON object");

  const std::string tokenizer_class = config.value("tokenizer_class", "");
  const bool qwen = tokenizer_class.rfind("Qwen2Tokenizer", 0) == 0;
  json document = {{"model", {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", read_merges(folder + "/merges.txt")}}}};
  const bool add_prefix_space = config.value("add_prefix_space", false);
  if (qwen) {
    document["normalizer"] = {{"type", "NFC"}};
    document["pre_tokenizer"] = {{"type", "Sequence"},
                                 {"pretokenizers",
                                  {{{"type", "Split"}, {"pattern", {{"Regex", kQwen2Pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
                                   {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"use_regex", false}}}}};
  } else {
    document["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"use_regex", true}};
  }
  document["decoder"] = {{"type", "ByteLevel"}};

  // Added tokens: tokenizer_config.json's added_tokens_decoder, plus the named special tokens
  // (GPT-2 style classes default to <|endoftext|>).
  json added = json::array();
  std::set<std::string> seen;
  if (auto it = config.find("added_tokens_decoder"); it != config.end() && it->is_object()) {
    for (const auto& [id_text, token] : it->items()) {
      if (!token.is_object() || !token.contains("content")) throw Error(config_path, "added_tokens_decoder[\"" + id_text + "\"]: expected {content, ...}");
      json entry = token;
      try {
        entry["id"] = std::stoll(id_text);
      } catch (const std::exception&) {
        throw Error(config_path, "added_tokens_decoder: key '" + id_text + "' is not an id");
      }
      seen.insert(token.value("content", ""));
      added.push_back(std::move(entry));
    }
  }
  const json& model_vocab = document["model"]["vocab"];
  std::vector<std::string> named;
  for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"}) named.push_back(token_content(config, key));
  if (!qwen && !config.contains("eos_token")) named.push_back("<|endoftext|>");
  for (const std::string& content : named) {
    if (content.empty() || seen.count(content) || !model_vocab.contains(content)) continue;
    seen.insert(content);
    added.push_back({{"id", model_vocab[content]}, {"content", content}, {"special", true}, {"normalized", false}});
  }
  document["added_tokens"] = std::move(added);

  const std::string bos = token_content(config, "bos_token");
  if (config.value("add_bos_token", false) && !bos.empty() && model_vocab.contains(bos)) {
    document["post_processor"] = {
        {"type", "TemplateProcessing"},
        {"single", {{{"SpecialToken", {{"id", bos}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
        {"special_tokens", {{bos, {{"id", bos}, {"ids", {model_vocab[bos]}}, {"tokens", {bos}}}}}}};
  }
  return document;
}

}  // namespace qs::tokenizer_files
