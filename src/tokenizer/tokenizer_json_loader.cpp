// tokenizer.json -> TokenizerParts (model, added tokens, normalizer, pre-tokenizer, post-processor, decoder).
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "tokenizer/tokenizer_files.h"

namespace qs::tokenizer_files {
namespace {

using tokenizer_json::Field;

std::unique_ptr<BpeModel> bpe_model(const Field& model) {
  const std::string type = model.str_or("type", "BPE");
  if (type != "BPE") {
    model.at("type").fail("unsupported model type '" + type + "' (only BPE tokenizers are supported)");
  }
  const Field vocab_field = model.at("vocab");
  if (!vocab_field.is_object()) vocab_field.fail("expected an object mapping tokens to ids");
  Vocabulary vocab;
  vocab.reserve(vocab_field.size());
  for (const auto& [token, id] : vocab_field.json().items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      Field(id, model.file(), vocab_field.path() + "[\"" + token + "\"]").fail("expected a non-negative integer id");
    }
    vocab.emplace(token, static_cast<int32_t>(id.get<int64_t>()));
  }
  std::vector<std::pair<std::string, std::string>> merges;
  if (auto merges_field = model.find("merges")) {
    merges.reserve(merges_field->size());
    for (size_t i = 0; i < merges_field->size(); ++i) {
      const Field merge = merges_field->at(i);
      if (merge.is_string()) {  // "left right"
        const std::string text = merge.str();
        const size_t space = text.find(' ');
        if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
          merge.fail("expected two tokens separated by one space");
        }
        merges.emplace_back(text.substr(0, space), text.substr(space + 1));
      } else {  // ["left", "right"]
        if (!merge.is_array() || merge.size() != 2) merge.fail("expected \"left right\" or [left, right]");
        merges.emplace_back(merge.at(0).str(), merge.at(1).str());
      }
    }
  }
  if (auto dropout = model.find("dropout")) {
    if (!dropout->json().is_number() || dropout->json().get<double>() != 0.0) dropout->fail("BPE dropout is not supported");
  }
  BpeOptions options;
  if (auto unk = model.find("unk_token")) options.unk_token = unk->str();
  options.continuing_subword_prefix = model.str_or("continuing_subword_prefix", "");
  options.end_of_word_suffix = model.str_or("end_of_word_suffix", "");
  options.fuse_unk = model.bool_or("fuse_unk", false);
  options.byte_fallback = model.bool_or("byte_fallback", false);
  options.ignore_merges = model.bool_or("ignore_merges", false);
  return std::make_unique<BpeModel>(std::move(vocab), merges, std::move(options), model.file());
}

std::vector<AddedToken> added_tokens(const Field& list) {
  std::vector<AddedToken> tokens;
  for (size_t i = 0; i < list.size(); ++i) {
    const Field item = list.at(i);
    AddedToken token;
    token.content = item.at("content").str();
    const int64_t id = item.at("id").integer();
    if (id < 0 || id > INT32_MAX) item.at("id").fail("id out of range");
    token.id = static_cast<int32_t>(id);
    token.special = item.bool_or("special", false);
    token.single_word = item.bool_or("single_word", false);
    token.lstrip = item.bool_or("lstrip", false);
    token.rstrip = item.bool_or("rstrip", false);
    token.normalized = item.bool_or("normalized", !token.special);
    tokens.push_back(std::move(token));
  }
  return tokens;
}

}  // namespace

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json document = nlohmann::json::parse(buffer.str(), nullptr, false);
  if (document.is_discarded()) throw Error(path, "not valid JSON");
  return document;
}

TokenizerParts parts_from_tokenizer_json(const nlohmann::json& document, const std::string& file) {
  const Field root(document, file, "");
  if (!root.is_object()) root.fail("expected a JSON object (a Hugging Face tokenizer.json)");
  TokenizerParts parts;
  parts.model = bpe_model(root.at("model"));
  if (auto list = root.find("added_tokens")) parts.added_tokens = added_tokens(*list);
  if (auto spec = root.find("normalizer")) parts.normalizer = make_normalizer(*spec);
  if (auto spec = root.find("pre_tokenizer")) parts.pre_tokenizer = make_pre_tokenizer(*spec);
  if (auto spec = root.find("post_processor")) parts.post_processor = make_post_processor(*spec);
  if (auto spec = root.find("decoder")) parts.decoder = make_decoder(*spec);
  return parts;
}

}  // namespace qs::tokenizer_files
