#pragma once
// The strings of the tokenizer parity test: real text from ../shared (benchmarks, calibration,
// WikiText-2) and adversarial strings (Unicode edge cases, whitespace runs, digits, contractions,
// special-token literals), deterministic for a given shared/ folder.
#include <string>
#include <vector>

namespace qs::test {

// Throws (after ADD_FAILURE) when a shared file is missing.
std::vector<std::string> parity_corpus();

// Only the adversarial part (also used as the fuzzer's seed ideas and in unit tests).
std::vector<std::string> adversarial_strings();

}  // namespace qs::test
