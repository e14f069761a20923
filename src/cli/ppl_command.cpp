// quantscale ppl MODEL --text FILE [--ctx N] [--stride S] [--limit-tokens N] [--json]
// Strided-window perplexity of a text file (model/perplexity.h states the convention: with
// stride = ctx, disjoint windows as in the GPTQ paper's WikiText-2 evaluation).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "core/atomic_file.h"
#include "core/stage_timer.h"
#include "core/error.h"
#include "core/progress.h"
#include "model/perplexity.h"
#include "model/transformer.h"
#include "quant/gptq_import.h"
#include "tokenizer/tokenizer.h"

namespace qs::cli {
namespace {

struct PplArgs {
  std::string model;
  std::string text;
  int64_t ctx = 0;
  int64_t stride = 0;
  int64_t limit_tokens = 0;
  int64_t batch_tokens = 2048;
  bool json = false;
};

int run_ppl(const PplArgs& args) {
  const std::string text = read_file(args.text);
  require(text.find_first_not_of(" \t\r\n") != std::string::npos, args.text, "empty text: nothing to score");
  auto model = load_model(args.model);  // dense or GPTQ folder
  auto tokenizer = Tokenizer::load(args.model);
  std::vector<int32_t> tokens = tokenizer->encode(text, /*add_special_tokens=*/true);
  if (args.limit_tokens > 0 && static_cast<int64_t>(tokens.size()) > args.limit_tokens)
    tokens.resize(static_cast<size_t>(args.limit_tokens));
  require(tokens.size() >= 2, args.text, "fewer than 2 tokens after tokenization");
  const int64_t ctx = args.ctx > 0 ? args.ctx : std::min<int64_t>(2048, model->config().max_position);
  const int64_t stride = args.stride > 0 ? args.stride : ctx;

  const auto start = StageTimer::now();
  std::unique_ptr<Progress> progress;
  const PerplexityResult result = strided_perplexity(
      *model, tokens, ctx, stride, std::max(args.batch_tokens, ctx), [&](int64_t done, int64_t total) {
        if (!progress) progress = std::make_unique<Progress>("ppl", total, "tok");
        progress->set(done);
      });
  if (progress) progress->finish();
  // Every log-probability was finite (strided_perplexity checks each); exp can still overflow
  // for a mean NLL above ~709 nats, which no usable model reaches: an error, not "inf".
  require(std::isfinite(result.ppl()), args.model,
          "perplexity is not finite (mean NLL " + std::to_string(result.nll_sum / static_cast<double>(result.n_scored)) +
              " nats)");
  const double seconds = seconds_since(start);

  if (args.json) {
    nlohmann::json out = {{"model", args.model},          {"text", args.text},
                          {"ppl", result.ppl()},           {"nll_mean", result.nll_sum / static_cast<double>(result.n_scored)},
                          {"tokens", tokens.size()},       {"scored_tokens", result.n_scored},
                          {"windows", result.n_windows},   {"ctx", ctx},
                          {"stride", stride},              {"seconds", seconds}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("perplexity %.4f  (mean NLL %.5f nats over %lld scored tokens of %zu; %lld windows, ctx %lld, stride %lld; %.1f s)\n",
                result.ppl(), result.nll_sum / static_cast<double>(result.n_scored),
                static_cast<long long>(result.n_scored), tokens.size(), static_cast<long long>(result.n_windows),
                static_cast<long long>(ctx), static_cast<long long>(stride), seconds);
  }
  return 0;
}

const CommandRegistration ppl_registration{
    {"ppl", "strided-window perplexity of a text file (GPTQ / Hugging Face convention)", [](CLI::App& sub) {
       auto args = std::make_shared<PplArgs>();
       sub.add_option("MODEL", args->model, "model folder (config.json, safetensors, tokenizer)")->required();
       sub.add_option("--text", args->text, "text file to score (read as UTF-8 bytes, tokenized whole)")->required();
       sub.add_option("--ctx", args->ctx, "window length in tokens (default: min(2048, model context))")
           ->check(CLI::Range(int64_t{2}, int64_t{1} << 30));
       sub.add_option("--stride", args->stride, "tokens between window starts (default: ctx = disjoint windows)")
           ->check(CLI::PositiveNumber);
       sub.add_option("--limit-tokens", args->limit_tokens, "score only the first N tokens")->check(CLI::PositiveNumber);
       sub.add_option("--batch-tokens", args->batch_tokens, "tokens per forward pass (windows batched)")
           ->check(CLI::PositiveNumber);
       sub.add_flag("--json", args->json, "machine-readable output");
       return [args] { return run_ppl(*args); };
     }}};

}  // namespace
}  // namespace qs::cli
