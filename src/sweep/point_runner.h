#pragma once
// One sweep point's work behind an interface, so orchestration (resume, --jobs, Slurm, merge)
// is the same whatever a point computes:
//   PipelineRunner  — the product: quantize (quant/) + evaluate (eval/) + perplexity (model/);
//   SyntheticRunner — deterministic made-up measurements after a configurable delay, used by
//                     the orchestration tests (study file: [sweep] runner = "synthetic").
#include <memory>
#include <string>

#include "sweep/point_result.h"
#include "sweep/study.h"

namespace qs {

struct PointContext {
  // Quantized models are evaluated in memory; with keep_checkpoint the runner also exports the
  // GPTQ checkpoint to checkpoint_dir (they are large, so only when asked).
  bool keep_checkpoint = false;
  std::string checkpoint_dir;
  int threads = 1;             // threads this point may use
};

class PointRunner {
 public:
  virtual ~PointRunner() = default;
  // Fills result.model, metrics, quant diagnostics, ppl and the stage timings
  // (quantize_seconds, eval_seconds, ppl_seconds). Throws on failure.
  virtual void run(const Study& study, const SweepPoint& point, const PointContext& context, PointResult& result) = 0;
};

std::unique_ptr<PointRunner> make_point_runner(const Study& study);

// Runs one point to a PointResult that is never thrown away: an exception becomes status
// "failed" with its message. Fills settings, host, version, timestamps and total time.
PointResult run_point(PointRunner& runner, const Study& study, const SweepPoint& point, const PointContext& context);

}  // namespace qs
