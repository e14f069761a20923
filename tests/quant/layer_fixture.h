#pragma once
// Synthetic linear layers for the quantizer tests: weights and calibration inputs with a fixed
// seed, inputs with correlated features of very different scales (so act-order matters) and
// optionally some features that are always zero (dead columns).
#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace qs::test {

struct LayerData {
  int64_t out = 0, in = 0, tokens = 0;
  std::vector<float> weight;  // [out, in]
  std::vector<float> inputs;  // [tokens, in]
};

inline LayerData make_layer(int64_t out, int64_t in, int64_t tokens, uint64_t seed, int dead_columns = 0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  LayerData layer{out, in, tokens, std::vector<float>(out * in), std::vector<float>(tokens * in)};
  for (auto& w : layer.weight) w = 0.05f * normal(rng);
  const int64_t rank = in / 2;  // features share factors: X = Z A + noise
  std::vector<float> mix(rank * in), z(rank);
  for (auto& a : mix) a = normal(rng);
  std::vector<float> feature_scale(in);
  for (int64_t i = 0; i < in; ++i) feature_scale[i] = std::exp(1.5f * normal(rng) / 2);
  for (int64_t t = 0; t < tokens; ++t) {
    for (auto& v : z) v = normal(rng);
    for (int64_t i = 0; i < in; ++i) {
      float x = 0.3f * normal(rng);
      for (int64_t r = 0; r < rank; r += 8) x += z[r] * mix[r * in + i] / 4;
      layer.inputs[t * in + i] = feature_scale[i] * x;
    }
  }
  for (int d = 0; d < dead_columns; ++d) {
    int64_t column = (d * 37 + 5) % in;
    for (int64_t t = 0; t < tokens; ++t) layer.inputs[t * in + column] = 0;
  }
  return layer;
}

template <typename T>
void write_binary(const std::string& path, const std::vector<T>& values) {
  std::ofstream file(path, std::ios::binary);
  file.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(T)));
}

template <typename T>
std::vector<T> read_binary(const std::string& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return {};
  std::streamsize bytes = file.tellg();
  file.seekg(0);
  std::vector<T> values(static_cast<size_t>(bytes) / sizeof(T));
  file.read(reinterpret_cast<char*>(values.data()), bytes);
  return values;
}

}  // namespace qs::test
