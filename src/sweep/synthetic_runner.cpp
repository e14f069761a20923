#include "sweep/synthetic_runner.h"

#include <chrono>
#include <cmath>
#include <thread>

#include "sweep/model_facts.h"
#include "sweep/task_selection.h"
#include "core/stage_timer.h"

namespace qs {
namespace {

// A number in [0, 1) drawn from the hash of `text`.
double unit_hash(const std::string& text) {
  return static_cast<double>(std::stoull(fnv1a_hex(text), nullptr, 16) >> 11) / 9007199254740992.0;
}

}  // namespace

void SyntheticRunner::run(const Study& study, const SweepPoint& point, const PointContext&, PointResult& result) {
  auto start = StageTimer::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(study.synthetic_seconds));
  result.model = read_model_facts(point.model, point.model_path);
  // Degradation grows as bits shrink and groups widen, shrinks with calibration data.
  double precision = point.is_baseline() ? 0.0 : std::pow(2.0, -point.bits) * 8.0;
  double group = point.group_size < 0 ? 2.0 : std::log2(point.group_size) / 5.0;
  double calib = point.calib_samples > 0 ? 1.0 / std::log2(point.calib_samples + 1.0) : 1.0;
  double damage = precision * group * (0.5 + 0.5 * calib);
  for (const auto& task : select_tasks(study.tasks, study.file, study.task_config)) {
    double skill = 0.4 + 0.3 * unit_hash(point.model + task.name);
    double noise = 0.02 * (unit_hash(point.id + task.name) - 0.5);
    double acc = task.acc_rand + (1 - task.acc_rand) * skill * std::exp(-damage) + noise;
    int64_t n = study.limit > 0 ? study.limit : 100;
    result.metrics.push_back({task.name, task.stratum, "acc", acc, std::sqrt(acc * (1 - acc) / (n - 1.0)), task.acc_rand,
                              n, true});
  }
  if (!point.is_baseline()) {
    result.quant.bits_per_weight = point.bits + (point.group_size > 0 ? 16.0 / point.group_size + 1.0 * point.bits / point.group_size : 0.0);
    result.quant.memory_bytes = static_cast<int64_t>(result.model.n_params * result.quant.bits_per_weight / 8);
    for (const char* layer : {"model.layers.0.self_attn.q_proj", "model.layers.0.mlp.down_proj"})
      result.quant.layers.push_back({layer, damage * (1 + unit_hash(point.id + layer)), result.quant.bits_per_weight});
  }
  if (!study.ppl_text.empty()) {
    result.ppl = 12.0 * std::exp(damage + 0.001 * unit_hash(point.id));
    result.ppl_tokens = study.ppl_max_tokens > 0 ? study.ppl_max_tokens : 1000;
  }
  result.eval_seconds = seconds_since(start);
}

}  // namespace qs
