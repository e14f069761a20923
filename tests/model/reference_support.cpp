#include "model/reference_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "test_support.h"

namespace qs::test {

std::vector<double> reference_logits(const std::string& model_dir, const std::vector<std::vector<int32_t>>& sequences,
                                     const std::string& scratch_dir) {
  const std::string ids_path = scratch_dir + "/ids.json";
  const std::string out_path = scratch_dir + "/reference_logits.bin";
  write_file_atomic(ids_path, nlohmann::json(sequences).dump());
  CommandResult result = run_reference("torch_forward.py", model_dir + " logits " + ids_path + " " + out_path);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::ifstream in(out_path, std::ios::binary);
  std::vector<double> logits;
  double value;
  while (in.read(reinterpret_cast<char*>(&value), sizeof value)) logits.push_back(value);
  return logits;
}

std::vector<float> batch_logits(const Transformer& model, const std::vector<std::vector<int32_t>>& sequences) {
  std::vector<int32_t> tokens;
  SequenceBatch batch;
  for (const auto& sequence : sequences) {
    tokens.insert(tokens.end(), sequence.begin(), sequence.end());
    batch.push_back({static_cast<int64_t>(sequence.size())});
  }
  std::vector<float> hidden = model.forward(tokens, batch);
  std::vector<float> logits(tokens.size() * static_cast<size_t>(model.config().vocab_size));
  model.logits(hidden.data(), static_cast<int64_t>(tokens.size()), logits.data());
  return logits;
}

double relative_max_error(const std::vector<float>& ours, const std::vector<double>& reference) {
  EXPECT_EQ(ours.size(), reference.size());
  double max_error = 0, scale = 0;
  for (size_t i = 0; i < std::min(ours.size(), reference.size()); ++i) {
    max_error = std::max(max_error, std::abs(static_cast<double>(ours[i]) - reference[i]));
    scale = std::max(scale, std::abs(reference[i]));
  }
  EXPECT_GT(scale, 0.0);
  return max_error / scale;
}

std::vector<int32_t> random_tokens(int64_t count, int64_t vocab, uint64_t seed) {
  std::vector<int32_t> tokens;
  uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
  for (int64_t i = 0; i < count; ++i) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    tokens.push_back(static_cast<int32_t>(state % static_cast<uint64_t>(vocab)));
  }
  return tokens;
}

}  // namespace qs::test
