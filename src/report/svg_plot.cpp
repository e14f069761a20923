#include "report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/table.h"

namespace qs::report {
namespace {

const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

std::string num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  return buffer;
}

std::string tick_label(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", std::fabs(v) < 1e-12 ? 0.0 : v);
  return buffer;
}

}  // namespace

std::vector<double> nice_ticks(double low, double high, int target) {
  if (!(high > low)) return {low};
  double raw = (high - low) / target;
  double magnitude = std::pow(10, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(low / step - 1e-9) * step; t <= high + step * 1e-9; t += step) ticks.push_back(t);
  return ticks;
}

std::string render_svg(const Plot& plot) {
  const double left = 64, right = 150, top = 34, bottom = 50;
  const double plot_w = plot.width - left - right, plot_h = plot.height - top - bottom;
  auto tx = [&](double x) { return plot.log2_x ? std::log2(x) : x; };
  // Data ranges over points, error bars and segments.
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  auto include = [&](double x, double y) {
    if (!std::isfinite(x) || !std::isfinite(y)) return;
    x_lo = std::min(x_lo, tx(x)), x_hi = std::max(x_hi, tx(x));
    y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
  };
  for (const auto& s : plot.series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      include(s.x[i], s.y[i]);
      if (i < s.y_low.size()) include(s.x[i], s.y_low[i]), include(s.x[i], s.y_high[i]);
    }
  for (const auto& seg : plot.segments) include(seg.x1, seg.y1), include(seg.x2, seg.y2);
  for (const auto& t : plot.x_ticks) x_lo = std::min(x_lo, tx(t.value)), x_hi = std::max(x_hi, tx(t.value));
  if (!std::isfinite(x_lo)) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
  if (x_hi - x_lo < 1e-12) x_lo -= 0.5, x_hi += 0.5;
  if (y_hi - y_lo < 1e-12) y_lo -= 0.5, y_hi += 0.5;
  double x_pad = (x_hi - x_lo) * 0.06, y_pad = (y_hi - y_lo) * 0.08;
  x_lo -= x_pad, x_hi += x_pad, y_lo -= y_pad, y_hi += y_pad;
  auto px = [&](double x) { return left + (tx(x) - x_lo) / (x_hi - x_lo) * plot_w; };
  auto py = [&](double y) { return top + (y_hi - y) / (y_hi - y_lo) * plot_h; };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(plot.width) + "\" height=\"" +
                    num(plot.height) + "\" viewBox=\"0 0 " + num(plot.width) + " " + num(plot.height) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num(left + plot_w / 2) + "\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">" +
         html_escape(plot.title) + "</text>\n";
  // Grid and ticks.
  std::vector<Tick> x_ticks = plot.x_ticks;
  if (x_ticks.empty())
    for (double t : nice_ticks(plot.log2_x ? std::exp2(x_lo) : x_lo, plot.log2_x ? std::exp2(x_hi) : x_hi))
      x_ticks.push_back({t, tick_label(t)});
  for (const auto& t : x_ticks) {
    if (plot.log2_x && t.value <= 0) continue;
    double x = px(t.value);
    svg += "<line x1=\"" + num(x) + "\" y1=\"" + num(top) + "\" x2=\"" + num(x) + "\" y2=\"" + num(top + plot_h) +
           "\" stroke=\"#e5e5e5\"/>\n";
    svg += "<text x=\"" + num(x) + "\" y=\"" + num(top + plot_h + 16) + "\" text-anchor=\"middle\">" +
           html_escape(t.label) + "</text>\n";
  }
  for (double t : nice_ticks(y_lo, y_hi)) {
    double y = py(t);
    svg += "<line x1=\"" + num(left) + "\" y1=\"" + num(y) + "\" x2=\"" + num(left + plot_w) + "\" y2=\"" + num(y) +
           "\" stroke=\"#e5e5e5\"/>\n";
    svg += "<text x=\"" + num(left - 6) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\">" + tick_label(t) + "</text>\n";
  }
  svg += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(plot_w) + "\" height=\"" + num(plot_h) +
         "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg += "<text x=\"" + num(left + plot_w / 2) + "\" y=\"" + num(plot.height - 10) + "\" text-anchor=\"middle\">" +
         html_escape(plot.x_label) + "</text>\n";
  svg += "<text transform=\"translate(16 " + num(top + plot_h / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         html_escape(plot.y_label) + "</text>\n";
  // Series: lines, error bars, markers, legend.
  for (size_t k = 0; k < plot.series.size(); ++k) {
    const Series& s = plot.series[k];
    std::string color = kPalette[(s.color >= 0 ? s.color : static_cast<int>(k)) % 10];
    if (s.lines && s.x.size() > 1) {
      svg += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.5\" points=\"";
      for (size_t i = 0; i < s.x.size(); ++i) svg += num(px(s.x[i])) + "," + num(py(s.y[i])) + " ";
      svg += "\"/>\n";
    }
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      double x = px(s.x[i]), y = py(s.y[i]);
      if (i < s.y_low.size())
        svg += "<line x1=\"" + num(x) + "\" y1=\"" + num(py(s.y_low[i])) + "\" x2=\"" + num(x) + "\" y2=\"" +
               num(py(s.y_high[i])) + "\" stroke=\"" + color + "\" stroke-width=\"1.5\"/>\n";
      std::string fill = s.hollow ? "white" : color;
      if (s.shape == "diamond")
        svg += "<polygon points=\"" + num(x) + "," + num(y - 5) + " " + num(x + 5) + "," + num(y) + " " + num(x) + "," +
               num(y + 5) + " " + num(x - 5) + "," + num(y) + "\" fill=\"" + fill + "\" stroke=\"" + color + "\"/>\n";
      else
        svg += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"3\" fill=\"" + fill + "\" stroke=\"" + color +
               "\" fill-opacity=\"0.8\"/>\n";
    }
    double ly = top + 8 + 16 * static_cast<double>(k);
    svg += "<rect x=\"" + num(left + plot_w + 12) + "\" y=\"" + num(ly - 6) + "\" width=\"10\" height=\"10\" fill=\"" +
           color + "\"/>\n";
    svg += "<text x=\"" + num(left + plot_w + 28) + "\" y=\"" + num(ly + 3) + "\">" + html_escape(s.label) + "</text>\n";
  }
  // Reference lines (identity, zero) last, over the points: a thousand markers would hide them.
  for (const auto& seg : plot.segments)
    svg += "<line x1=\"" + num(px(seg.x1)) + "\" y1=\"" + num(py(seg.y1)) + "\" x2=\"" + num(px(seg.x2)) + "\" y2=\"" +
           num(py(seg.y2)) + "\" stroke=\"#555\"" + (seg.dashed ? " stroke-dasharray=\"5 4\"" : "") + "/>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace qs::report
