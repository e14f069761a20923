#pragma once
// Defaults of the quantizer options that study files restate (sweep/study.h) as well as
// QuantizeOptions (quant/quantize_model.h): one value, so a study's "default" and the
// quantizer's cannot drift apart — a point id leaves a default out (sweep/grid.cpp).
#include <cstdint>

namespace qs {

// Held-out calibration windows for the per-layer output error (0: not measured). They are
// drawn disjoint from the calibration windows, so the count also moves which windows calibrate.
inline constexpr int64_t kDefaultHeldoutSamples = 4;

}  // namespace qs
