#include "sweep/pipeline_runner.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/stage_timer.h"
#include "eval/evaluator.h"
#include "model/perplexity.h"
#include "model/transformer_lm.h"
#include "quant/calibration.h"
#include "quant/quantize_model.h"
#include "sweep/model_facts.h"
#include "tokenizer/tokenizer.h"

namespace qs {

// The fp baseline takes the checkpoint the folder already mapped; other points quantize it in
// memory (exported only when checkpoints are kept) and are evaluated without a reload. The
// calibration text is tokenized here with the point's one tokenizer.
std::unique_ptr<Transformer> quantize_point(const Study& study, const SweepPoint& point, const PointContext& context,
                                            ModelFolder folder, const Tokenizer& tokenizer, PointResult& result,
                                            QuantizeReport* report_out) {
  if (point.is_baseline()) return Transformer::load(std::move(folder).take_checkpoint());
  QuantizeOptions options;
  options.method = point.method;
  options.gptq.grid.bits = point.bits;
  // The study's grid is the GPTQ paper's asymmetric min/max (DESIGN.md), whatever the export
  // default (symmetric, for loaders) is.
  options.gptq.grid.sym = false;
  options.gptq.group_size = point.group_size;
  options.calib_file = study.calib_source;
  if (!study.calib_source.empty())
    options.calib_tokens = std::make_shared<const std::vector<int32_t>>(tokenize_file(tokenizer, study.calib_source));
  if (point.calib_samples > 0) options.calib_samples = point.calib_samples;
  // DESIGN.md: calibration windows are capped at the model's context.
  options.seq_len = std::min<int64_t>(study.calib_seq_len, folder.config().max_position);
  options.seed = point.seed;
  options.gptq.act_order = study.act_order;
  options.true_sequential = study.true_sequential;
  options.quantize_lm_head = study.quantize_lm_head;
  options.heldout_samples = study.heldout_samples;
  options.show_progress = false;
  QuantizedModel quantized = quantize_in_memory(std::move(folder), options);
  // A rerun point (--retry-failed, a resume after a kill) replaces the folder its earlier
  // attempt exported; the export marker keeps anything else safe.
  if (context.keep_checkpoint) export_quantized(quantized, context.checkpoint_dir, /*overwrite=*/true);
  const QuantizeReport& report = quantized.report;
  result.quant.bits_per_weight = report.bits_per_weight;
  result.quant.memory_bytes = quantized.model->weight_bytes();
  for (const auto& layer : report.layers) {
    // Relative output error on held-out windows when measured, else GPTQ's own loss.
    double error = layer.output_error >= 0 && layer.reference_energy > 0 ? layer.output_error / layer.reference_energy
                                                                          : layer.gptq_loss;
    result.quant.layers.push_back({layer.name, error, layer.bits_per_weight});
  }
  if (report_out) *report_out = report;
  return std::move(quantized.model);
}

// WikiText-2 perplexity as the GPTQ paper measures it: the whole text tokenized once (with the
// tokenizer's special tokens), disjoint windows of ctx tokens (stride = ctx), token-weighted.
void measure_point_perplexity(const Study& study, TransformerLM& lm, PointResult& result) {
  std::vector<int32_t> tokens = lm.tokenizer().encode(read_file(study.ppl_text), true);
  if (study.ppl_max_tokens > 0 && static_cast<int64_t>(tokens.size()) > study.ppl_max_tokens)
    tokens.resize(static_cast<size_t>(study.ppl_max_tokens));
  int64_t ctx = std::min<int64_t>(study.ppl_ctx, lm.max_context());
  PerplexityResult ppl = strided_perplexity(lm.model(), tokens, ctx, ctx);
  result.ppl = ppl.ppl();
  result.ppl_tokens = ppl.n_scored;
  if (!std::isfinite(result.ppl)) throw Error(study.ppl_text, "perplexity is not finite");
}

namespace {

// One row per metric of every task; the primary metric is the law's Acc.
void record_metrics(const EvalResults& results, PointResult& result) {
  for (const auto& task : results.tasks)
    for (const auto& metric : task.metrics) {
      std::string name = metric.key;
      if (name.size() > 5 && name.compare(name.size() - 5, 5, ",none") == 0) name.resize(name.size() - 5);
      result.metrics.push_back({task.name, task.stratum, name, metric.value, metric.stderr_value.value_or(-1),
                                task.chance, task.n_docs, metric.key == task.primary_metric});
    }
}

}  // namespace

void evaluate_point_tasks(const Study& study, LanguageModel& lm, PointResult& result) {
  EvalOptions options;
  options.tasks = study.tasks;
  if (study.shots >= 0) options.shots = study.shots;
  if (study.limit > 0) options.limit = study.limit;
  options.task_config = study.task_config;
  options.progress = false;
  record_metrics(run_evaluation(lm, options), result);
}

void PipelineRunner::run(const Study& study, const SweepPoint& point, const PointContext& context, PointResult& result) {
  omp_set_num_threads(std::max(1, context.threads));
  // One read of the folder (config.json, safetensors headers) and one tokenizer per point.
  ModelFolder folder = ModelFolder::open(point.model_path);
  result.model = model_facts(point.model, folder);
  std::unique_ptr<Tokenizer> tokenizer = Tokenizer::load(point.model_path);

  auto start = StageTimer::now();
  std::unique_ptr<Transformer> model = quantize_point(study, point, context, std::move(folder), *tokenizer, result);
  result.quantize_seconds = seconds_since(start);
  TransformerLM lm(std::move(model), std::move(tokenizer));

  if (!study.ppl_text.empty()) {
    start = StageTimer::now();
    measure_point_perplexity(study, lm, result);
    result.ppl_seconds = seconds_since(start);
  }
  if (!study.tasks.empty()) {
    start = StageTimer::now();
    evaluate_point_tasks(study, lm, result);
    result.eval_seconds = seconds_since(start);
  }
}

}  // namespace qs
