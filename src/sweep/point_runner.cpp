#include "sweep/point_runner.h"

#include <chrono>
#include <cmath>
#include <exception>

#include "core/error.h"
#include "core/stage_timer.h"
#include "eval/text_util.h"
#include "sweep/pipeline_runner.h"
#include "sweep/synthetic_runner.h"

namespace qs {

std::unique_ptr<PointRunner> make_point_runner(const Study& study) {
  if (study.runner == "synthetic") return std::make_unique<SyntheticRunner>();
  return std::make_unique<PipelineRunner>();
}

namespace {
// The last guard before the store: a NaN or Inf measurement makes the point `failed` (naming
// the metric), whichever runner produced it, so no fit ever reads one as `ok`.
void require_finite_measurements(const PointResult& result) {
  const std::string where = "point " + result.point.id;
  require(std::isfinite(result.ppl), where, "perplexity is not finite (" + std::to_string(result.ppl) + ")");
  for (const TaskMetric& metric : result.metrics)
    require(std::isfinite(metric.value) && std::isfinite(metric.stderr_value), where,
            "task '" + metric.task + "' metric '" + metric.metric + "' is not finite (value " +
                std::to_string(metric.value) + ", stderr " + std::to_string(metric.stderr_value) + ")");
}
}  // namespace

PointResult run_point(PointRunner& runner, const Study& study, const SweepPoint& point, const PointContext& context) {
  PointResult result;
  result.point = point;
  result.settings = canonical_settings(study, point);
  result.host = host_name();
  result.started_at = utc_now_iso8601();
  auto start = StageTimer::now();
  try {
    runner.run(study, point, context, result);
    require_finite_measurements(result);
  } catch (const std::exception& e) {
    result.status = PointStatus::Failed;
    result.error = text::escape_invalid_utf8(e.what());  // may quote a malformed row; the result file is JSON
    result.metrics.clear();
  }
  result.total_seconds = seconds_since(start);
  result.finished_at = utc_now_iso8601();
  return result;
}

}  // namespace qs
