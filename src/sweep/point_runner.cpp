#include "sweep/point_runner.h"

#include <chrono>
#include <exception>

#include "sweep/pipeline_runner.h"
#include "sweep/synthetic_runner.h"

namespace qs {

std::unique_ptr<PointRunner> make_point_runner(const Study& study) {
  if (study.runner == "synthetic") return std::make_unique<SyntheticRunner>();
  return std::make_unique<PipelineRunner>();
}

PointResult run_point(PointRunner& runner, const Study& study, const SweepPoint& point, const PointContext& context) {
  PointResult result;
  result.point = point;
  result.settings = canonical_settings(study, point);
  result.host = host_name();
  result.started_at = utc_now_iso8601();
  auto start = std::chrono::steady_clock::now();
  try {
    runner.run(study, point, context, result);
  } catch (const std::exception& e) {
    result.status = "failed";
    result.error = e.what();
    result.metrics.clear();
  }
  result.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.finished_at = utc_now_iso8601();
  return result;
}

}  // namespace qs
