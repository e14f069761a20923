// Evaluation throughput on both shipped models (bf16 and fp32 TinyStories-656K): examples/s
// and tokens/s per request type (multiple_choice: hellaswag; loglikelihood: lambada_openai;
// loglikelihood_rolling: lambada_openai passages scored whole; generate_until: triviaqa), and
// the speed-up from computing a context shared by several choices once.
//   ./build/bench/qs_bench --benchmark_filter=Eval
// tokens/s counts the tokens of the requests the model receives: context + continuation of
// every loglikelihood request (a context shared by 4 choices counts 4 times, as in an
// evaluation that did not share it), context + generated tokens of every generation.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <optional>

#include "core/shared_paths.h"
#include "eval/prompt.h"
#include "eval/request_tokens.h"
#include "eval/task_loaders.h"
#include "eval/task_registry.h"
#include "eval/task_runner.h"
#include "model/transformer_lm.h"
#include "tokenizer/tokenizer.h"

namespace {

const char* kModels[] = {"tinystories-656k", "tinystories-656k-fp32"};

qs::LanguageModel& model(int64_t index) {
  static std::map<int64_t, std::unique_ptr<qs::LanguageModel>> cache;
  auto& slot = cache[index];
  if (!slot) {
    std::string dir = qs::shared_path(std::string("models/") + kModels[index]);
    slot = std::make_unique<qs::TransformerLM>(qs::Transformer::load(dir), qs::Tokenizer::load(dir));
  }
  return *slot;
}

// Forwards to a model and counts the tokens of the requests it receives and generates.
class TokenCounter : public qs::LanguageModel {
 public:
  explicit TokenCounter(qs::LanguageModel& inner) : inner_(inner) {}
  std::vector<qs::LoglikelihoodResult> loglikelihood(const std::vector<qs::LoglikelihoodRequest>& requests) override {
    for (const auto& r : requests) tokens += static_cast<int64_t>(r.context_tokens.size() + r.continuation_tokens.size());
    return inner_.loglikelihood(requests);
  }
  std::vector<std::vector<int32_t>> generate_until(const std::vector<qs::GenerationRequest>& requests) override {
    auto generated = inner_.generate_until(requests);
    for (size_t i = 0; i < requests.size(); ++i)
      tokens += static_cast<int64_t>(requests[i].context_tokens.size() + generated[i].size());
    return generated;
  }
  const qs::Tokenizer& tokenizer() const override { return inner_.tokenizer(); }
  int32_t max_context() const override { return inner_.max_context(); }
  int64_t tokens = 0;

 private:
  qs::LanguageModel& inner_;
};

struct Prepared {
  qs::TaskSpec spec;
  qs::TaskData data;
  qs::PreparedRequests requests;
};

// The first `docs` documents of a built-in task, zero-shot, with its request type replaced
// when `output_type` is given.
const Prepared& prepared(const std::string& task, int64_t docs, int max_gen_toks = 0,
                         std::optional<qs::OutputType> output_type = std::nullopt) {
  static std::map<std::string, std::unique_ptr<Prepared>> cache;
  auto& slot = cache[task + (output_type ? std::string(" ") + qs::output_type_name(*output_type) : "")];
  if (!slot) {
    slot = std::make_unique<Prepared>();
    slot->spec = qs::TaskRegistry::builtin().get(task);
    if (max_gen_toks > 0) slot->spec.max_gen_toks = max_gen_toks;
    if (output_type) slot->spec.output_type = *output_type;
    slot->data = qs::load_task_data(slot->spec, qs::shared_path("benchmarks"), qs::RowPolicy::Fail);
    slot->requests = qs::prepare_requests(slot->spec, slot->data.docs, slot->data.pool(), slot->data.pool_is_eval_split(), 0, docs, 1234);
  }
  return *slot;
}

void set_rates(benchmark::State& state, const std::string& label, size_t examples, int64_t tokens) {
  state.SetLabel(label);
  state.counters["examples/s"] = benchmark::Counter(static_cast<double>(examples), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsIterationInvariantRate);
}

// Arg(0): model index. The evaluation's own path (run_requests), batch size 32.
void run_task(benchmark::State& state, const Prepared& p, const std::string& name) {
  TokenCounter lm(model(state.range(0)));
  const qs::RunSettings settings{true, 32, false, false};
  for (auto _ : state) {
    lm.tokens = 0;
    benchmark::DoNotOptimize(qs::run_requests(lm, p.spec, p.requests.docs, p.requests.requests, settings));
  }
  set_rates(state, std::string(kModels[state.range(0)]) + " " + name, p.requests.docs.size(), lm.tokens);
}

void BM_EvalMultipleChoice(benchmark::State& state) { run_task(state, prepared("hellaswag", 100), "hellaswag"); }
void BM_EvalLoglikelihood(benchmark::State& state) {
  run_task(state, prepared("lambada_openai", 100), "lambada_openai");
}
void BM_EvalLoglikelihoodRolling(benchmark::State& state) {
  run_task(state, prepared("lambada_openai", 100, 0, qs::OutputType::LoglikelihoodRolling), "lambada_openai rolling");
}
void BM_EvalGenerateUntil(benchmark::State& state) {
  run_task(state, prepared("triviaqa_sm_sub", 20, 32), "triviaqa_sm_sub (max 32 new tokens)");
}
BENCHMARK(BM_EvalMultipleChoice)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EvalLoglikelihood)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EvalLoglikelihoodRolling)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EvalGenerateUntil)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Shared-context reuse: the same HellaSwag requests (4 choices per context) sent in calls of
// 100 requests so that a document's choices arrive together (the model computes the context
// once), or interleaved so that no two requests of a call share a context (same calls and
// batch sizes, no reuse). Args: reuse (1/0), model index.
void BM_EvalSharedContext(benchmark::State& state) {
  const Prepared& p = prepared("hellaswag", 100);
  TokenCounter lm(model(state.range(1)));
  const bool shared = state.range(0) == 1;
  constexpr size_t kChoices = 4, kCallRequests = 100;
  std::vector<qs::LoglikelihoodRequest> together, interleaved;
  for (const auto& requests : p.requests.requests)
    for (const auto& text : requests) {
      auto pair = qs::encode_pair(lm.tokenizer(), text.context, text.continuation, true, lm.max_context());
      together.push_back({pair.context, pair.continuation});
    }
  for (size_t c = 0; c < kChoices; ++c)
    for (size_t i = c; i < together.size(); i += kChoices) interleaved.push_back(together[i]);
  const auto& calls = shared ? together : interleaved;
  for (auto _ : state) {
    lm.tokens = 0;
    for (size_t start = 0; start < calls.size(); start += kCallRequests) {
      auto end = calls.begin() + static_cast<std::ptrdiff_t>(std::min(calls.size(), start + kCallRequests));
      benchmark::DoNotOptimize(lm.loglikelihood({calls.begin() + static_cast<std::ptrdiff_t>(start), end}));
    }
  }
  set_rates(state,
            std::string(kModels[state.range(1)]) +
                (shared ? " hellaswag, choices of a context together (reuse)" : " hellaswag, choices interleaved (no reuse)"),
            p.requests.docs.size(), lm.tokens);
}
BENCHMARK(BM_EvalSharedContext)
    ->Args({1, 0})->Args({0, 0})->Args({1, 1})->Args({0, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
