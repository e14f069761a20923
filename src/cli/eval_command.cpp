// quantscale eval MODEL_OR_GPTQ_DIR --tasks l1,l2,l3|NAME,... [--shots K] [--limit N] [--seed S]
//   [--batch-size B] [--task-config F] [--data-dir DIR] [--no-bos] [--bad-rows fail|skip]
//   --out results.json
// Per-task metrics with standard errors and the per-stratum summary, as lm-eval computes them.
#include <cstdio>
#include <memory>

#include "cli/command_registry.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "eval/evaluator.h"
#include "eval/model_info.h"
#include "eval/task_registry.h"
#include "model/transformer_lm.h"
#include "tokenizer/tokenizer.h"
#include "quant/gptq_import.h"  // dense or GPTQ folder, detected

namespace qs::cli {
namespace {

struct EvalArgs {
  std::string model_dir, out, tasks = "l1,l2,l3", task_config, data_dir, bad_rows = "fail";
  int shots = -1;
  int64_t limit = 0;
  uint64_t seed = 1234;
  int batch_size = 32;
  int bootstrap_iters = 100000;
  bool no_bos = false, log_samples = false;
};

int run_eval(const EvalArgs& args) {
  EvalOptions options;
  options.tasks = split_task_list(args.tasks);
  if (args.shots >= 0) options.shots = args.shots;
  if (args.limit > 0) options.limit = args.limit;
  options.seed = args.seed;
  options.batch_size = args.batch_size;
  options.task_config = args.task_config;
  options.data_dir = args.data_dir;
  options.add_bos = !args.no_bos;
  options.row_policy = args.bad_rows == "skip" ? RowPolicy::Skip : RowPolicy::Fail;
  options.bootstrap_iters = args.bootstrap_iters;
  options.log_samples = args.log_samples;
  // Task names and config are checked before the (slow) model load.
  TaskRegistry registry = TaskRegistry::builtin();
  if (!options.task_config.empty()) registry.load_config(options.task_config);
  registry.resolve(options.tasks);
  // Dense and GPTQ folders alike (the quant stage's loader detects GPTQ), the folder read once;
  // the tokenizer is the folder's own (a GPTQ export copies it).
  ModelFolder folder = ModelFolder::open(args.model_dir);
  options.model_info = describe_model(folder);
  auto model = std::make_unique<TransformerLM>(qs::load_model(std::move(folder)), Tokenizer::load(args.model_dir));
  EvalResults results = run_evaluation(*model, options);
  // Generated text and the rows of CSV/text formats may hold invalid UTF-8: written as U+FFFD
  // rather than failing the whole run at the last step.
  write_file_atomic(args.out, results.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  std::printf("%s\nresults written to %s (%.1f s)\n", results.table().c_str(), args.out.c_str(), results.seconds);
  return 0;
}

const CommandRegistration eval_registration{Command{
    "eval", "evaluate a model (dense or GPTQ folder) on benchmark tasks as lm-evaluation-harness does",
    [](CLI::App& sub) -> std::function<int()> {
      auto args = std::make_shared<EvalArgs>();
      sub.add_option("model", args->model_dir, "model folder (Hugging Face dense or GPTQ checkpoint)")->required();
      sub.add_option("--tasks", args->tasks, "strata (l1,l2,l3) and/or task names, comma-separated")->capture_default_str();
      sub.add_option("--shots", args->shots, "few-shot examples per prompt (default: task default, gsm8k 5, others 0)")
          ->check(CLI::NonNegativeNumber);
      sub.add_option("--limit", args->limit, "first N documents per task (per subject for MMLU)")
          ->check(CLI::PositiveNumber);
      sub.add_option("--seed", args->seed, "few-shot sampler seed (lm-eval fewshot_random_seed)")->capture_default_str();
      sub.add_option("--batch-size", args->batch_size, "requests per model call")
          ->check(CLI::PositiveNumber)
          ->capture_default_str();
      sub.add_option("--task-config", args->task_config, "TOML/JSON file (re-assign strata, add tasks), or lm-eval task YAML file / folder (docs/eval.md)");
      sub.add_option("--data-dir", args->data_dir, "benchmark folder (default: shared/benchmarks)");
      sub.add_option("--bad-rows", args->bad_rows, "malformed data rows: fail (default) or skip (counted in results)")
          ->check(CLI::IsMember({"fail", "skip"}));
      sub.add_option("--bootstrap-iters", args->bootstrap_iters, "bootstrap resamples for perplexity stderr (0: none)")
          ->check(CLI::NonNegativeNumber)
          ->capture_default_str();
      sub.add_flag("--no-bos", args->no_bos, "do not add BOS (older lm-eval convention; recorded in results)");
      sub.add_flag("--log-samples", args->log_samples, "store per-document requests, tokens and scores in the results");
      sub.add_option("--out", args->out, "results JSON (written atomically)")->required();
      return [args] { return run_eval(*args); };
    }}};

}  // namespace
}  // namespace qs::cli
