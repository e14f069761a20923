#include "sweep/pipeline_runner.h"

#include "core/error.h"
#include "sweep/model_facts.h"

namespace qs {

void PipelineRunner::run(const Study& study, const SweepPoint& point, const PointContext& context, PointResult& result) {
  result.model = read_model_facts(point.model, point.model_path);
  throw Error(point.label(), "the pipeline stages are not in this build yet: quantize_model (src/quant), "
                             "run_evaluation (src/eval), perplexity (src/model)");
}

}  // namespace qs
