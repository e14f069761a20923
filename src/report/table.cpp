#include "report/table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace qs::report {
namespace {

// Display width of UTF-8 text (code points; the symbols used here are one column wide).
size_t display_width(const std::string& s) {
  size_t width = 0;
  for (unsigned char c : s) width += (c & 0xC0) != 0x80;
  return width;
}

std::string pad(const std::string& s, size_t width) { return s + std::string(width - display_width(s), ' '); }

}  // namespace

std::string render_text(const Table& table) {
  std::vector<size_t> widths(table.headers.size(), 0);
  for (size_t c = 0; c < table.headers.size(); ++c) widths[c] = display_width(table.headers[c]);
  for (const auto& row : table.rows)
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  std::string out;
  if (!table.title.empty()) out += table.title + "\n";
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l = " ";
    for (size_t c = 0; c < widths.size(); ++c) l.append(" ").append(pad(c < cells.size() ? cells[c] : "", widths[c])).append(" ");
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(table.headers);
  std::string rule = " ";
  for (size_t w : widths) rule.append(" ").append(w, '-').append(" ");
  out += rule.substr(0, rule.size() - 1) + "\n";
  for (const auto& row : table.rows) line(row);
  for (const auto& note : table.notes) out += "  " + note + "\n";
  return out;
}

std::string render_markdown(const Table& table) {
  std::string out;
  if (!table.title.empty()) out += "**" + table.title + "**\n\n";
  out += "|";
  for (const auto& h : table.headers) out.append(" ").append(markdown_escape(h)).append(" |");
  out += "\n|";
  for (size_t c = 0; c < table.headers.size(); ++c) out += c == 0 ? " --- |" : " ---: |";
  out += "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (size_t c = 0; c < table.headers.size(); ++c)
      out.append(" ").append(markdown_escape(c < row.size() ? row[c] : "")).append(" |");
    out += "\n";
  }
  for (const auto& note : table.notes) out += "\n" + note + "\n";
  return out + "\n";
}

std::string render_html(const Table& table) {
  std::string out = "<table>\n";
  if (!table.title.empty()) out += "<caption>" + html_escape(table.title) + "</caption>\n";
  out += "<thead><tr>";
  for (const auto& h : table.headers) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (const auto& cell : row) out += "<td>" + html_escape(cell) + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
  for (const auto& note : table.notes) out += "<p class=\"note\">" + html_escape(note) + "</p>\n";
  return out;
}

std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "–";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string s = buffer;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // no "-0.000"
  return s;
}

std::string interval_text(double low, double high, int decimals) {
  std::string out = "[";
  out.append(fixed(low, decimals)).append(", ").append(fixed(high, decimals)).append("]");
  return out;
}

std::string with_interval(double value, double low, double high, int decimals) {
  return fixed(value, decimals).append("  ").append(interval_text(low, high, decimals));
}

std::string p_value(double value) {
  if (std::isnan(value)) return "–";
  if (value <= 0) return "<1e-300";
  char buffer[32];
  if (value < 1e-4) std::snprintf(buffer, sizeof buffer, "%.1e", value);
  else std::snprintf(buffer, sizeof buffer, "%.4f", value);
  return buffer;
}

std::string parameter_count(double n) {
  char buffer[32];
  if (n >= 1e9) std::snprintf(buffer, sizeof buffer, "%.3gB", n / 1e9);
  else if (n >= 1e6) std::snprintf(buffer, sizeof buffer, "%.3gM", n / 1e6);
  else std::snprintf(buffer, sizeof buffer, "%.3gK", n / 1e3);
  return buffer;
}

std::string markdown_escape(const std::string& text) {
  // What a Markdown renderer would act on inside a line (CommonMark 0.31 §2.4 backslash escapes):
  // inline HTML and autolinks (< >), entities (&), emphasis and strike (* ~), code spans (`),
  // table cells (|), links and images ("](", "![", "]["); a line break would end the table row.
  // Intraword '_' and the '.', '-', '[' of numbers and intervals are left as they are.
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    const bool link = (c == ']' && (next == '(' || next == '[')) || (c == '!' && next == '[');
    if (link || std::string_view("\\`*<>&|~").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace qs::report
