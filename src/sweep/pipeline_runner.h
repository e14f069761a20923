#pragma once
// The product's point: quantize the checkpoint (GPTQ or RTN; nothing for the fp baseline),
// evaluate the study's tasks, measure perplexity on the study's text.
#include "sweep/point_runner.h"

namespace qs {

class PipelineRunner : public PointRunner {
 public:
  void run(const Study& study, const SweepPoint& point, const PointContext& context, PointResult& result) override;
};

}  // namespace qs
