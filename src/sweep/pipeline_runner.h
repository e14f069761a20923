#pragma once
// The product's point: quantize the checkpoint (GPTQ or RTN; nothing for the fp baseline),
// evaluate the study's tasks, measure perplexity on the study's text.
#include <memory>

#include "io/model_folder.h"
#include "model/transformer_lm.h"
#include "quant/quantize_model.h"
#include "sweep/point_runner.h"

namespace qs {

// The point's stages, in the order run() calls them; public so that bench/point_bench.cpp
// times exactly what a sweep point runs.
//   quantize_point: the fp baseline's checkpoint as loaded, or the point's method applied in
//     memory (exported when context.keep_checkpoint); fills result.quant, and `report` (the
//     quantizer's phase seconds) when given.
//   measure_point_perplexity: the study's perplexity text; fills result.ppl and ppl_tokens.
//   evaluate_point_tasks: the study's tasks (shots, limit, task config); appends result.metrics.
std::unique_ptr<Transformer> quantize_point(const Study& study, const SweepPoint& point, const PointContext& context,
                                            ModelFolder folder, const Tokenizer& tokenizer, PointResult& result,
                                            QuantizeReport* report = nullptr);
void measure_point_perplexity(const Study& study, TransformerLM& lm, PointResult& result);
void evaluate_point_tasks(const Study& study, LanguageModel& lm, PointResult& result);

class PipelineRunner : public PointRunner {
 public:
  void run(const Study& study, const SweepPoint& point, const PointContext& context, PointResult& result) override;
};

}  // namespace qs
