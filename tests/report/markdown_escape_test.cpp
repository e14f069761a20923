// Issue 14 item 10: summary.md shows model and task names (user input) as text: no raw HTML,
// links, emphasis or broken table rows, as index.html already escapes them.
#include <gtest/gtest.h>

#include <algorithm>

#include "report/table.h"
#include "test_support.h"

namespace qs::report {
namespace {

// Every '<', '>', '*' and '`' of `markdown` is backslash-escaped (so none is markup).
bool all_escaped(const std::string& markdown, const std::string& specials) {
  for (size_t i = 0; i < markdown.size(); ++i)
    if (specials.find(markdown[i]) != std::string::npos && (i == 0 || markdown[i - 1] != '\\')) return false;
  return true;
}

TEST(ReportMarkdown, ModelNamesAreShownAsTextNotMarkup) {
  Table table;
  table.headers = {"model", "acc"};
  table.rows = {{"<img src=x onerror=alert(1)>", "0.5  [0.4, 0.6]"},
                {"[click](http://evil.example) **bold** `code`", "0.7"},
                {"two\nlines|and a pipe", "0.1"}};
  const std::string md = render_markdown(table);
  EXPECT_TRUE(all_escaped(md, "<>*`")) << md;
  // No link: the only "](" is the escaped "\](".
  EXPECT_EQ(test::count_occurrences(md, "]("), 1) << md;
  EXPECT_EQ(test::count_occurrences(md, "\\]("), 1) << md;
  EXPECT_NE(md.find("two lines\\|and a pipe"), std::string::npos) << md;
  // Header, rule and three rows: the newline inside a name did not add a table line.
  EXPECT_EQ(std::count(md.begin(), md.end(), '\n'), 6) << md;
  // Numbers and intervals read as before.
  EXPECT_NE(md.find("| 0.5  [0.4, 0.6] |"), std::string::npos) << md;
  EXPECT_EQ(markdown_escape("Qwen3-0.6B_gptq"), "Qwen3-0.6B_gptq");
}

}  // namespace
}  // namespace qs::report
