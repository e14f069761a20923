#pragma once
// GPTQ calibration data: Cb windows of L consecutive tokens cut at random places from one long
// tokenized text, as GPTQ's get_wikitext2 does (tokenize the whole file once; each window starts
// at a uniform random offset in [0, n_tokens - L - 1]). The same (tokens, Cb, L, seed) always
// gives the same windows: the generator is std::mt19937_64(seed), and a start is
// rng() % (n_tokens - L) (std::uniform_int_distribution differs between standard libraries).
//
// Held-out windows (for measuring per-layer output error) are drawn after the calibration
// windows from the same stream, skipping any that overlap a calibration window.
#include <cstdint>
#include <string>
#include <vector>

namespace qs {

class Tokenizer;

struct CalibrationWindows {
  std::vector<std::vector<int32_t>> calibration;  // Cb windows of L tokens
  std::vector<std::vector<int32_t>> heldout;      // disjoint from every calibration window
  std::vector<int64_t> calibration_starts, heldout_starts;  // token offsets, for reports
};

// Throws qs::Error naming `where` when n_samples <= 0, seq_len <= 0, seq_len > max_context, or
// the text has fewer than seq_len + 1 tokens (too little text), n_samples exceeds its
// n_tokens - seq_len distinct windows, or no disjoint held-out windows can be found.
CalibrationWindows sample_windows(const std::vector<int32_t>& tokens, int64_t n_samples, int64_t seq_len,
                                  uint64_t seed, int64_t max_context, int64_t n_heldout, const std::string& where);

// Reads and tokenizes a whole text file (special tokens as the tokenizer adds them, i.e. BOS at
// the very start as GPTQ's tokenizer(text) call does). Throws qs::Error naming the file.
std::vector<int32_t> tokenize_file(const Tokenizer& tokenizer, const std::string& path);

}  // namespace qs
