#pragma once
// Grid expansion: a study becomes an ordered list of points. Each model gets one
// full-precision baseline (method "fp", bits 16); GPTQ spans bits × group sizes × calibration
// sizes × seeds; RTN needs no calibration, so it is one point per (model, bits, group size).
// The order is stable (study order), so a point index means the same point on every machine.
#include <cstdint>
#include <string>
#include <vector>

#include "sweep/study.h"

namespace qs {

struct SweepPoint {
  std::string id;        // 16 hex digits: FNV-1a 64 of canonical_settings()
  int index = 0;         // position in the expanded grid
  std::string model;     // StudyModel::name
  std::string model_path;
  QuantMethod method = QuantMethod::Fp;
  int bits = 16;
  int group_size = -1;   // -1 = per output channel
  int calib_samples = 0; // 0 for fp and rtn
  uint64_t seed = 0;
  // Hash of the evaluation settings (tasks, shots, limit, perplexity): a quantized point is
  // compared with the fp baseline of the same model and the same eval_key.
  std::string eval_key;

  bool is_baseline() const { return method == QuantMethod::Fp; }
  // "gptq B4 G128 Cb32 s0 on tinystories-656k": for logs and progress.
  std::string label() const;
};

// Everything that changes a point's measurements, as one canonical "key=value;..." string:
// model name (not its path, so a study moves between machines unchanged), method, B, G, Cb,
// seed, calibration file name and window length, tasks, shots, limit, perplexity settings.
std::string canonical_settings(const Study& study, const SweepPoint& point);

std::vector<SweepPoint> expand_grid(const Study& study);

// The point with this id or index; throws qs::Error naming the study when absent.
const SweepPoint& find_point(const std::vector<SweepPoint>& grid, const std::string& id, const std::string& study_file);
const SweepPoint& find_point(const std::vector<SweepPoint>& grid, int index, const std::string& study_file);

// FNV-1a 64-bit hash as 16 lowercase hex digits (stable across platforms and runs).
std::string fnv1a_hex(const std::string& text);

}  // namespace qs
