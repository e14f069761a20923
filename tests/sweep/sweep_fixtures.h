#pragma once
// Small studies on the shipped 656K model for the sweep tests, and a reader for the store.
#include <string>
#include <vector>

namespace qs::test {

// The orchestration tests' runner. Switching every sweep test to real points (quantize +
// eval + ppl) is this one line: make it "" once src/quant and src/eval have landed.
inline const char* const kTestRunner = "[sweep]\nrunner = \"synthetic\"\nsynthetic_seconds = 0.08\n";

// A study on shared/models/tinystories-656k writing to `output`; `grid` is the
// [quantization] body (methods, bits, group_sizes, calib_samples, seeds).
std::string tiny_study(const std::string& output, const std::string& grid);

// Every row of a query as "col1|col2|..." strings, in the query's order.
std::vector<std::string> query_rows(const std::string& db_path, const std::string& sql);

}  // namespace qs::test
