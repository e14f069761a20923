#pragma once
// Wall-clock time of a pipeline's stages, for the seconds its reports print (quantize's phase
// split, a sweep point's quantize / ppl / eval times). steady_clock: never jumps with the
// system clock, so a difference of two readings is always an elapsed time.
//
//   const auto start = StageTimer::now();  ...  report.seconds_eval = seconds_since(start);
//   { StageTimer timer(report.seconds_forward); model.forward(...); }  // += on scope exit
#include <chrono>

namespace qs {

using SteadyClock = std::chrono::steady_clock;

// Seconds from `start` to now.
inline double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// Adds the seconds between its construction and its destruction to `total`.
class StageTimer {
 public:
  explicit StageTimer(double& total) : total_(total), start_(SteadyClock::now()) {}
  ~StageTimer() { total_ += seconds_since(start_); }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;
  static SteadyClock::time_point now() { return SteadyClock::now(); }

 private:
  double& total_;
  SteadyClock::time_point start_;
};

}  // namespace qs
