#pragma once
// A progress bar with rate and ETA on a terminal (stderr is a TTY); silent in logs and pipes,
// where only the final summary line is printed if asked.
#include <chrono>
#include <cstdint>
#include <string>

namespace qs {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  ~Progress();
  void advance(int64_t count = 1);
  void set(int64_t done);
  void finish();  // prints the final line (terminal only)

  static bool enabled();  // stderr is a terminal and QS_NO_PROGRESS is unset

 private:
  void draw(bool final_line);
  std::string label_;
  int64_t total_;
  std::string unit_;
  int64_t done_ = 0;
  bool finished_ = false;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace qs
