#pragma once
// A small hand-written SVG plotter for the report: scatter/line series with optional error
// bars, reference lines, linear or log2 x axis, explicit tick labels for categories. Output
// is one self-contained <svg> element (no scripts, no external fonts).
#include <string>
#include <vector>

namespace qs::report {

struct Series {
  std::string label;
  std::vector<double> x, y;
  std::vector<double> y_low, y_high;  // error bars (empty: none)
  bool lines = false;                 // connect points in order
  bool hollow = false;                // open markers
  std::string shape = "circle";       // "circle" or "diamond"
  int color = -1;                     // palette index; -1 = the series' position
};

struct Segment {
  double x1, y1, x2, y2;
  bool dashed = true;
};

struct Tick {
  double value;
  std::string label;
};

struct Plot {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  std::vector<Segment> segments;
  bool log2_x = false;
  std::vector<Tick> x_ticks;  // empty: automatic
  double width = 560, height = 360;
};

std::string render_svg(const Plot& plot);

// Evenly spaced "nice" ticks (1, 2, 5 × 10^k) covering [low, high].
std::vector<double> nice_ticks(double low, double high, int target = 6);

}  // namespace qs::report
