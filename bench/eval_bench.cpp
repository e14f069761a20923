// Evaluation throughput on the shipped models: examples/s and tokens/s per request type
// (multiple_choice: hellaswag, loglikelihood: lambada_openai, generate_until: triviaqa), and
// the speed-up from computing a context shared by several choices once.
//   ./build/bench/qs_bench --benchmark_filter=Eval
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

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

qs::LanguageModel& model(int index) {
  static std::map<int, std::unique_ptr<qs::LanguageModel>> cache;
  auto& slot = cache[index];
  if (!slot) {
    std::string dir = qs::shared_path(std::string("models/") + kModels[index]);
    slot = std::make_unique<qs::TransformerLM>(qs::Transformer::load(dir), qs::Tokenizer::load(dir));
  }
  return *slot;
}

struct Prepared {
  qs::TaskSpec spec;
  qs::TaskData data;
  qs::PreparedRequests requests;
};

const Prepared& prepared(const std::string& task, int64_t docs, int max_gen_toks = 0) {
  static std::map<std::string, std::unique_ptr<Prepared>> cache;
  auto& slot = cache[task];
  if (!slot) {
    slot = std::make_unique<Prepared>();
    slot->spec = qs::TaskRegistry::builtin().get(task);
    if (max_gen_toks > 0) slot->spec.max_gen_toks = max_gen_toks;
    slot->data = qs::load_task_data(slot->spec, qs::shared_path("benchmarks"), qs::RowPolicy::Fail);
    slot->requests = qs::prepare_requests(slot->spec, slot->data.docs, slot->data.pool(), slot->data.pool_is_eval_split(), 0, docs, 1234);
  }
  return *slot;
}

int64_t count_tokens(const qs::TaskRun& run) {
  int64_t tokens = 0;
  for (const auto& outcome : run.outcomes)
    for (const auto& request : outcome.sample["requests"]) {
      for (const char* key : {"context_tokens", "continuation_tokens", "generated_tokens"})
        if (request.contains(key)) tokens += static_cast<int64_t>(request[key].size());
    }
  return tokens;
}

void run_task(benchmark::State& state, const std::string& task, int64_t docs, int max_gen_toks) {
  const Prepared& p = prepared(task, docs, max_gen_toks);
  qs::LanguageModel& lm = model(static_cast<int>(state.range(0)));
  int64_t tokens = 0;
  for (auto _ : state) {
    qs::TaskRun run = qs::run_requests(lm, p.spec, p.requests.docs, p.requests.requests, {true, 32, false, true});
    tokens = count_tokens(run);
  }
  state.SetLabel(std::string(kModels[state.range(0)]) + " " + task);
  state.counters["examples/s"] = benchmark::Counter(static_cast<double>(p.requests.docs.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_EvalMultipleChoice(benchmark::State& state) { run_task(state, "hellaswag", 100, 0); }
void BM_EvalLoglikelihood(benchmark::State& state) { run_task(state, "lambada_openai", 100, 0); }
void BM_EvalGenerateUntil(benchmark::State& state) { run_task(state, "triviaqa_sm_sub", 20, 32); }
BENCHMARK(BM_EvalMultipleChoice)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EvalLoglikelihood)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EvalGenerateUntil)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Shared-context reuse: the same HellaSwag requests (4 choices per context) sent so that a
// document's choices arrive together (the model computes the context once), or interleaved so
// that no two requests in a call share a context (same batch sizes, no reuse).
void BM_EvalSharedContext(benchmark::State& state) {
  const Prepared& p = prepared("hellaswag", 100);
  qs::LanguageModel& lm = model(0);
  const bool shared = state.range(0) == 1;
  std::vector<std::vector<qs::LoglikelihoodRequest>> by_choice(4);
  std::vector<qs::LoglikelihoodRequest> together;
  for (const auto& requests : p.requests.requests)
    for (size_t c = 0; c < requests.size(); ++c) {
      auto pair = qs::encode_pair(lm.tokenizer(), requests[c].context, requests[c].continuation, true, lm.max_context());
      qs::LoglikelihoodRequest request{pair.context, pair.continuation};
      together.push_back(request);
      by_choice[c % 4].push_back(request);
    }
  for (auto _ : state) {
    if (shared) {
      for (size_t start = 0; start < together.size(); start += 100)
        benchmark::DoNotOptimize(lm.loglikelihood({together.begin() + static_cast<long>(start),
                                                   together.begin() + static_cast<long>(std::min(together.size(), start + 100))}));
    } else {
      for (const auto& calls : by_choice) benchmark::DoNotOptimize(lm.loglikelihood(calls));
    }
  }
  state.SetLabel(shared ? "choices of a context together (reuse)" : "choices interleaved (no reuse)");
  state.counters["examples/s"] = benchmark::Counter(static_cast<double>(p.requests.docs.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EvalSharedContext)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
