#include "sweep/grid.h"

#include <cstdio>
#include <filesystem>

#include "core/error.h"

namespace qs {

std::string fnv1a_hex(const std::string& text) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash));
  return buffer;
}

std::string SweepPoint::label() const {
  if (is_baseline()) return "fp16 baseline of " + model;
  std::string text = method_name(method) + " B" + std::to_string(bits) + " G" + (group_size < 0 ? "ch" : std::to_string(group_size));
  if (method == QuantMethod::Gptq) text += " Cb" + std::to_string(calib_samples) + " s" + std::to_string(seed);
  return text + " on " + model;
}

namespace {
std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// The quantizer options that differ from their defaults: ids of studies that do not set them
// stay what they were before the options existed.
std::string quantizer_settings(const Study& study, QuantMethod method) {
  std::string text;
  if (method == QuantMethod::Gptq && study.act_order) text += ";act_order=1";
  if (method == QuantMethod::Gptq && study.true_sequential) text += ";true_sequential=1";
  if (study.quantize_lm_head) text += ";lm_head=1";
  if (study.heldout_samples != kDefaultHeldoutSamples) text += ";heldout_samples=" + std::to_string(study.heldout_samples);
  return text;
}

std::string evaluation_settings(const Study& study) {
  std::string tasks;
  for (const auto& task : study.tasks) {
    if (!tasks.empty()) tasks.push_back(',');
    tasks.append(task);
  }
  std::string text = ";tasks=" + tasks + ";shots=" + std::to_string(study.shots) + ";limit=" + std::to_string(study.limit);
  if (!study.task_config.empty()) text += ";task_config=" + file_name(study.task_config);
  text += ";ppl_text=" + file_name(study.ppl_text) + ";ppl_ctx=" + std::to_string(study.ppl_ctx) +
          ";ppl_max_tokens=" + std::to_string(study.ppl_max_tokens);
  if (study.runner != "pipeline") text += ";runner=" + study.runner;
  return text;
}
}  // namespace

std::string canonical_settings(const Study& study, const SweepPoint& point) {
  std::string text = "model=" + point.model + ";method=" + method_name(point.method) + ";bits=" + std::to_string(point.bits) +
                     ";group_size=" + std::to_string(point.group_size) +
                     ";calib_samples=" + std::to_string(point.calib_samples) + ";seed=" + std::to_string(point.seed);
  if (point.method == QuantMethod::Gptq)
    text += ";calib_source=" + file_name(study.calib_source) + ";calib_seq_len=" + std::to_string(study.calib_seq_len);
  if (point.method != QuantMethod::Fp) text += quantizer_settings(study, point.method);
  return text + evaluation_settings(study);
}

std::vector<SweepPoint> expand_grid(const Study& study) {
  std::vector<SweepPoint> grid;
  auto add = [&](SweepPoint point) {
    point.index = static_cast<int>(grid.size());
    point.id = fnv1a_hex(canonical_settings(study, point));
    point.eval_key = fnv1a_hex("model=" + point.model + evaluation_settings(study));
    grid.push_back(std::move(point));
  };
  for (const auto& model : study.models) {
    SweepPoint base;
    base.model = model.name;
    base.model_path = model.path;
    // Baseline and RTN are deterministic: they use the first seed, so they are not repeated.
    base.seed = study.seeds.empty() ? 0 : study.seeds.front();
    SweepPoint fp = base;
    fp.method = QuantMethod::Fp;
    add(fp);
    for (const auto& method : study.methods)
      for (int bits : study.bits)
        for (int group_size : study.group_sizes) {
          SweepPoint point = base;
          point.method = method;
          point.bits = bits;
          point.group_size = group_size;
          if (method == QuantMethod::Rtn) {
            add(point);
            continue;
          }
          for (int calib : study.calib_samples)
            for (uint64_t seed : study.seeds) {
              point.calib_samples = calib;
              point.seed = seed;
              add(point);
            }
        }
  }
  return grid;
}

const SweepPoint& find_point(const std::vector<SweepPoint>& grid, const std::string& id, const std::string& study_file) {
  for (const auto& point : grid)
    if (point.id == id) return point;
  throw Error(study_file, "no point with id " + id + " in this study's grid");
}

const SweepPoint& find_point(const std::vector<SweepPoint>& grid, int index, const std::string& study_file) {
  if (index < 0 || index >= static_cast<int>(grid.size()))
    throw Error(study_file, "point index " + std::to_string(index) + " outside the grid (0.." +
                                std::to_string(static_cast<int>(grid.size()) - 1) + ")");
  return grid[static_cast<size_t>(index)];
}

}  // namespace qs
