#pragma once
// Test runner: measurements that are a deterministic function of the point's settings
// (so an interrupted and an uninterrupted sweep must agree exactly), after sleeping
// study.synthetic_seconds to give kill tests a window inside a point.
#include "sweep/point_runner.h"

namespace qs {

class SyntheticRunner : public PointRunner {
 public:
  void run(const Study& study, const SweepPoint& point, const PointContext& context, PointResult& result) override;
};

}  // namespace qs
