// Tokenizer::load: finds the tokenizer files of a model folder and resolves BOS/EOS.
#include <filesystem>

#include "core/error.h"
#include "tokenizer/tokenizer_files.h"

namespace qs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string special_token_name(const json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) return (*it)["content"].get<std::string>();
  return "";
}

// BOS/EOS: tokenizer_config.json, then special_tokens_map.json; else BOS is what the
// post-processor prepends and EOS the first of the usual end-of-text tokens present.
void resolve_special_ids(TokenizerParts& parts, const std::string& folder) {
  const auto lookup = [&](const std::string& content) -> std::optional<int32_t> {
    if (content.empty()) return std::nullopt;
    for (const AddedToken& token : parts.added_tokens) {
      if (token.content == content) return token.id;
    }
    return parts.model->token_to_id(content);
  };
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
    const std::string path = folder + "/" + name;
    if (!fs::exists(path)) continue;
    const json config = tokenizer_files::read_json(path);
    if (!config.is_object()) throw Error(path, "expected a JSON object");
    if (!parts.bos_id) parts.bos_id = lookup(special_token_name(config, "bos_token"));
    if (!parts.eos_id) parts.eos_id = lookup(special_token_name(config, "eos_token"));
  }
  if (!parts.bos_id && parts.post_processor) {
    std::vector<int32_t> ids;
    parts.post_processor->process(ids);
    if (!ids.empty()) parts.bos_id = ids.front();
  }
  for (const char* candidate : {"<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>"}) {
    if (!parts.eos_id) parts.eos_id = lookup(candidate);
  }
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string& path) {
  std::string folder = path;
  std::string file;
  if (fs::is_directory(path)) {
    if (fs::exists(path + "/tokenizer.json")) file = path + "/tokenizer.json";
  } else if (fs::exists(path)) {
    file = path;
    const fs::path parent = fs::path(path).parent_path();
    folder = parent.empty() ? std::string(".") : parent.string();
  } else {
    throw Error(path, "no such file or folder");
  }
  TokenizerParts parts;
  if (!file.empty()) {
    parts = tokenizer_files::parts_from_tokenizer_json(tokenizer_files::read_json(file), file);
  } else if (fs::exists(folder + "/vocab.json") && fs::exists(folder + "/merges.txt")) {
    parts = tokenizer_files::parts_from_tokenizer_json(tokenizer_files::tokenizer_json_from_vocab_merges(folder),
                                                       folder + "/vocab.json");
  } else {
    throw Error(path, "no tokenizer.json, and no vocab.json + merges.txt");
  }
  resolve_special_ids(parts, folder);
  return std::make_unique<HfTokenizer>(std::move(parts));
}

}  // namespace qs
