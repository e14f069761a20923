// Tokenizer throughput: MB/s encoding the WikiText-2 test split with each shipped tokenizer
// (one thread, word cache warm after the first iteration), and decoding the resulting ids.
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "core/shared_paths.h"
#include "tokenizer/tokenizer.h"

namespace {

const std::string& wikitext() {
  static const std::string text = [] {
    std::ifstream in(qs::shared_path("text/wikitext2/wiki.test.raw"), std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }();
  return text;
}

void BM_TokenizerEncode(benchmark::State& state, const char* path) {
  const std::string& text = wikitext();
  if (text.empty()) {
    state.SkipWithError("missing shared/text/wikitext2/wiki.test.raw");
    return;
  }
  const auto tokenizer = qs::Tokenizer::load(qs::shared_path(path));
  size_t tokens = 0;
  for (auto _ : state) {
    const auto ids = tokenizer->encode(text, false);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["MB"] = static_cast<double>(text.size()) / 1e6;
}

void BM_TokenizerDecode(benchmark::State& state, const char* path) {
  const auto tokenizer = qs::Tokenizer::load(qs::shared_path(path));
  const auto ids = tokenizer->encode(wikitext(), false);
  for (auto _ : state) {
    const std::string text = tokenizer->decode(ids, false);
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wikitext().size()));
}

BENCHMARK_CAPTURE(BM_TokenizerEncode, tinystories, "models/tinystories-656k")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TokenizerEncode, gpt2, "hf/openai-community-gpt2")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TokenizerEncode, neox, "hf/EleutherAI-gpt-neox-20b-tokenizer/20B_tokenizer.json")
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TokenizerEncode, llama3, "hf/meta-llama-Llama-3.1-8B")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TokenizerEncode, qwen3, "hf/Qwen-Qwen3-tokenizer")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TokenizerDecode, qwen3, "hf/Qwen-Qwen3-tokenizer")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
