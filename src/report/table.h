#pragma once
// One table, three renderings: aligned plain text (terminal), GitHub Markdown (copyable
// summary) and HTML. Every table users see goes through here so the three never disagree.
#include <string>
#include <vector>

namespace qs::report {

struct Table {
  std::string title;
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;  // printed under the table
};

std::string render_text(const Table& table);
std::string render_markdown(const Table& table);
std::string render_html(const Table& table);

// "%.<digits>g"-style number formatting with fixed decimals: fixed(0.12345, 3) = "0.123".
std::string fixed(double value, int decimals);
// "0.824  [0.791, 0.852]": a value with its interval.
std::string with_interval(double value, double low, double high, int decimals);
// "[0.791, 0.852]"
std::string interval_text(double low, double high, int decimals);
// Significant digits, scientific when tiny: p-values ("<1e-300" for 0).
std::string p_value(double value);
// 8.0e9 -> "8.0B", 6.0e8 -> "600M".
std::string parameter_count(double n);

std::string html_escape(const std::string& text);
// Text shown as itself in Markdown (model and task names are user input): backslash-escapes the
// characters a renderer would turn into HTML, links or emphasis; newlines become spaces.
std::string markdown_escape(const std::string& text);

}  // namespace qs::report
