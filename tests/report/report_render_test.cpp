// `quantscale report` writes a self-contained HTML page whose SVG plots are all present and
// drawn, and headless Chromium renders it to a non-blank screenshot.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "core/atomic_file.h"
#include "law/synthetic_sweep.h"
#include "report/svg_plot.h"
#include "test_support.h"

namespace qs::report {
namespace {

TEST(ReportSvg, DrawsEveryPointLineAndErrorBar) {
  Plot plot;
  plot.title = "t <&>";
  plot.series.push_back({"a", {2, 3, 4, 8}, {0.1, 0.5, 0.7, 0.9}, {}, {}, true, false, "circle", -1});
  plot.series.push_back({"b", {2, 4}, {0.2, 0.4}, {0.1, 0.3}, {0.3, 0.5}, false, true, "diamond", -1});
  plot.log2_x = true;
  std::string svg = render_svg(plot);
  EXPECT_EQ(test::count_occurrences(svg, "<svg"), 1);
  EXPECT_EQ(test::count_occurrences(svg, "<circle"), 4);
  EXPECT_EQ(test::count_occurrences(svg, "<polygon"), 2);
  EXPECT_EQ(test::count_occurrences(svg, "<polyline"), 1);
  EXPECT_NE(svg.find("t &lt;&amp;&gt;"), std::string::npos);  // escaped title
  // On a log2 axis 2→4 and 4→8 are the same distance apart.
  std::regex cx("<circle cx=\"([0-9.]+)\"");
  std::vector<double> xs;
  for (std::sregex_iterator it(svg.begin(), svg.end(), cx), end; it != end; ++it) xs.push_back(std::stod((*it)[1]));
  ASSERT_EQ(xs.size(), 4u);
  EXPECT_NEAR(xs[2] - xs[0], xs[3] - xs[2], 0.02);
}

// The identity/zero reference line is drawn after (over) the points, not hidden under them.
TEST(ReportSvg, ReferenceLinesAreDrawnOverThePoints) {
  Plot plot;
  plot.series.push_back({"a", {0, 1, 2}, {0, 1, 2}, {}, {}, false, false, "circle", -1});
  plot.segments.push_back({0, 0, 2, 2, true});
  std::string svg = render_svg(plot);
  size_t reference = svg.find("stroke-dasharray");
  ASSERT_NE(reference, std::string::npos);
  EXPECT_GT(reference, svg.rfind("<circle"));
}

TEST(ReportRender, HtmlHasEveryPlotAndChromiumRendersIt) {
  auto chromium = test::run_shell("command -v chromium");
  ASSERT_EQ(chromium.exit_code, 0) << "headless Chromium is required for this test and is not installed: "
                                      "apt-get install -y chromium (scripts/install_deps.sh lists it)";
  test::ScratchDir dir("report_render");
  std::mt19937_64 rng(3);
  auto grid = test::paper_grid({{"triviaqa", "L1", 0.0}, {"mmlu", "L2", 0.25}, {"gsm8k", "L3", 0.0}});
  grid.bits = {2, 3, 4, 8};
  std::vector<test::PlantedLaw> laws = {{5.8, -0.315, -0.964, -0.04, 0.064},
                                        {7.4, -0.4, -1.1, -0.03, 0.075},
                                        {6.3, -0.32, -1.2, -0.025, 0.085}};
  test::write_observation_store(dir.file("store.db"), test::synthetic_sweep(grid, {"L1", "L2", "L3"}, laws, 0.1, rng));
  auto run = test::run_quantscale("report " + dir.file("store.db") + " --out " + dir.file("report") + " --bootstrap 100");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::string html = read_file(dir.file("report/index.html"));
  EXPECT_TRUE(std::filesystem::exists(dir.file("report/summary.md")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("report/fit.json")));
  // Self-contained: no scripts, no external resources.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  // 3 accuracy-vs-bits (one per stratum) + fitted-vs-measured and residuals for L1, L2, L3,
  // General and L0 + 4 exponent plots = 17, each with drawn marks.
  int plots = 0;  // (std::regex recurses per character: too deep for a 600 kB page)
  for (size_t start = html.find("<svg"); start != std::string::npos; start = html.find("<svg", start + 1)) {
    size_t end = html.find("</svg>", start);
    ASSERT_NE(end, std::string::npos) << "unterminated <svg>";
    std::string svg = html.substr(start, end - start);
    ++plots;
    EXPECT_GT(test::count_occurrences(svg, "<circle") + test::count_occurrences(svg, "<polygon"), 0) << "plot " << plots << " has no data marks";
  }
  EXPECT_EQ(plots, 17);
  // The exponent plots and the paper comparison name every exponent.
  for (const char* symbol : {"α", "β", "γ", "δ"}) EXPECT_NE(html.find(symbol), std::string::npos);

  std::string png = dir.file("screenshot.png");
  std::string command = "timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                        "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" +
                        dir.file("chromium-profile") + " --screenshot=" + png +
                        " --window-size=1200,3000 file://" + dir.file("report/index.html");
  auto shot = test::run_shell(command);
  ASSERT_TRUE(std::filesystem::exists(png)) << "no screenshot written:\n" << shot.output;
  auto stats = test::run_shell("/usr/bin/python3 " QS_TEST_SOURCE_DIR "/report/png_stats.py " + png);
  ASSERT_EQ(stats.exit_code, 0) << stats.output;
  auto json = nlohmann::json::parse(stats.output);
  EXPECT_EQ(json["width"].get<int>(), 1200);
  EXPECT_EQ(json["height"].get<int>(), 3000);
  // A blank page compresses to a few kB with no changing pixels; plots give many.
  EXPECT_GT(json["bytes"].get<int>(), 100000);
  EXPECT_GT(json["changing_fraction"].get<double>(), 0.02);
  std::string keep = std::string(::testing::TempDir()) + "/quantscale_report_screenshot.png";
  std::filesystem::copy_file(png, keep, std::filesystem::copy_options::overwrite_existing);
  std::printf("screenshot: %s (%d bytes, changing fraction %.3f)\n", keep.c_str(), json["bytes"].get<int>(),
              json["changing_fraction"].get<double>());
}

}  // namespace
}  // namespace qs::report
