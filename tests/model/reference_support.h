#pragma once
// Running tests/reference/torch_forward.py on a checkpoint and reading its float64 logits.
#include <cstdint>
#include <string>
#include <vector>

#include "model/transformer.h"

namespace qs::test {

// Reference logits [sum of lengths, vocab] of every position of every sequence (float64 torch).
std::vector<double> reference_logits(const std::string& model_dir, const std::vector<std::vector<int32_t>>& sequences,
                                     const std::string& scratch_dir);

// Our logits for the same sequences run as one batch: [sum of lengths, vocab].
std::vector<float> batch_logits(const Transformer& model, const std::vector<std::vector<int32_t>>& sequences);

// max |ours - reference| / max |reference| (the "relative to logit scale" error of the parity tests).
double relative_max_error(const std::vector<float>& ours, const std::vector<double>& reference);

// Deterministic pseudo-random token ids in [0, vocab).
std::vector<int32_t> random_tokens(int64_t count, int64_t vocab, uint64_t seed);

}  // namespace qs::test
