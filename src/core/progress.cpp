#include "core/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace qs {

bool Progress::enabled() { return ::isatty(STDERR_FILENO) != 0 && std::getenv("QS_NO_PROGRESS") == nullptr; }

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), total_(total), unit_(std::move(unit)), enabled_(enabled()),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t count) { set(done_ + count); }

void Progress::set(int64_t done) {
  done_ = done;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ > std::chrono::milliseconds(200) || done_ >= total_) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) draw(true);
}

namespace {
std::string format_seconds(double seconds) {
  char buffer[32];
  int total = static_cast<int>(seconds + 0.5);
  if (total >= 3600)
    std::snprintf(buffer, sizeof buffer, "%dh%02dm", total / 3600, (total / 60) % 60);
  else
    std::snprintf(buffer, sizeof buffer, "%dm%02ds", total / 60, total % 60);
  return buffer;
}
}  // namespace

void Progress::draw(bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double fraction = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 0.0;
  if (fraction > 1.0) fraction = 1.0;
  constexpr int kWidth = 30;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0.0;
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %s  %.1f %s/s  %s %s\x1b[K", label_.c_str(), bar.c_str(),
               static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(), rate, unit_.c_str(),
               final_line ? "took" : "ETA", format_seconds(final_line ? elapsed : eta).c_str());
  if (final_line) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace qs
