#pragma once
// Reading Hugging Face tokenizer files into the parts of an HfTokenizer (internal to the stage).
#include <nlohmann/json.hpp>

#include <string>

#include "tokenizer/hf_tokenizer.h"

namespace qs::tokenizer_files {

// Parses a JSON file; qs::Error(path, ...) when unreadable or not JSON.
nlohmann::json read_json(const std::string& path);

// The parts described by a tokenizer.json document (read from `file`, named in errors).
TokenizerParts parts_from_tokenizer_json(const nlohmann::json& document, const std::string& file);

// The tokenizer.json document equivalent to vocab.json + merges.txt (+ tokenizer_config.json) in
// `folder`, as transformers' slow-to-fast conversion builds it for GPT-2 and Qwen2 tokenizers.
nlohmann::json tokenizer_json_from_vocab_merges(const std::string& folder);

}  // namespace qs::tokenizer_files
