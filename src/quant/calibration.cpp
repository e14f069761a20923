#include "quant/calibration.h"

#include <random>

#include "core/atomic_file.h"
#include "core/error.h"
#include "tokenizer/tokenizer.h"

namespace qs {

CalibrationWindows sample_windows(const std::vector<int32_t>& tokens, int64_t n_samples, int64_t seq_len,
                                  uint64_t seed, int64_t max_context, int64_t n_heldout, const std::string& where) {
  require(n_samples > 0, where, "--calib-samples must be at least 1, got " + std::to_string(n_samples));
  require(seq_len > 0, where, "--seq-len must be at least 1, got " + std::to_string(seq_len));
  require(seq_len <= max_context, where,
          "--seq-len " + std::to_string(seq_len) + " exceeds the model's context window of " +
              std::to_string(max_context) + " tokens");
  const int64_t n_tokens = static_cast<int64_t>(tokens.size());
  require(n_tokens > seq_len, where,
          "too little calibration text: " + std::to_string(n_tokens) + " tokens, a window needs " +
              std::to_string(seq_len + 1));
  const uint64_t n_starts = static_cast<uint64_t>(n_tokens - seq_len);  // starts 0 .. n - L - 1
  // Windows are drawn with replacement, but asking for more than the text holds distinct
  // windows only repeats them, and each costs seq_len tokens of memory before anything runs
  // (1e9 windows of 8 tokens: 32 GB): refused before a single window is cut.
  require(static_cast<uint64_t>(n_samples) <= n_starts, where,
          "--calib-samples " + std::to_string(n_samples) + " exceeds the " + std::to_string(n_starts) +
              " distinct windows of " + std::to_string(seq_len) + " tokens that the calibration text (" +
              std::to_string(n_tokens) + " tokens) holds");
  std::mt19937_64 rng(seed);
  CalibrationWindows windows;
  auto window_at = [&](int64_t start) { return std::vector<int32_t>(tokens.begin() + start, tokens.begin() + start + seq_len); };
  for (int64_t s = 0; s < n_samples; ++s) {
    const int64_t start = static_cast<int64_t>(rng() % n_starts);
    windows.calibration_starts.push_back(start);
    windows.calibration.push_back(window_at(start));
  }
  const int64_t max_attempts = 1000 * (n_heldout + 1);
  for (int64_t attempt = 0; static_cast<int64_t>(windows.heldout.size()) < n_heldout; ++attempt) {
    require(attempt < max_attempts, where,
            "too little calibration text for " + std::to_string(n_heldout) +
                " held-out windows disjoint from the calibration windows");
    const int64_t start = static_cast<int64_t>(rng() % n_starts);
    bool overlaps = false;
    for (int64_t c : windows.calibration_starts) overlaps = overlaps || (start < c + seq_len && c < start + seq_len);
    if (overlaps) continue;
    windows.heldout_starts.push_back(start);
    windows.heldout.push_back(window_at(start));
  }
  return windows;
}

std::vector<int32_t> tokenize_file(const Tokenizer& tokenizer, const std::string& path) {
  const std::string text = read_file(path);
  require(!text.empty(), path, "calibration text file is empty");
  return tokenizer.encode(text, /*add_special_tokens=*/true);
}

}  // namespace qs
