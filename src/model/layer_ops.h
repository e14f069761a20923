#pragma once
// The elementwise and per-row pieces of a decoder layer, written as the published modeling code
// computes them (fp32, row-major [n_tokens, width]). OpenMP over rows.
#include <cstdint>
#include <span>
#include <vector>

#include "io/model_config.h"

namespace qs {

// Norm weights as fp32 (bias empty for RMSNorm).
struct NormWeights {
  std::vector<float> weight;
  std::vector<float> bias;
};

// RMSNorm (Llama): y = x / sqrt(mean(x²) + eps) * w.  LayerNorm (NeoX): y = (x - mean) /
// sqrt(var + eps) * w + b (biased variance). x, y: [rows, width]; y may equal x.
void apply_norm(NormKind kind, const NormWeights& norm, double eps, const float* x, int64_t rows, int64_t width,
                float* y);

// act(x) in place: SiLU x·σ(x); GELU 0.5x(1+erf(x/√2)); GELU-tanh 0.5x(1+tanh(√(2/π)(x+0.044715x³))).
void apply_activation(Activation activation, float* x, int64_t count);
// up ← act(gate) ⊙ up (SwiGLU when act = SiLU); gate is only read.
void gated_activation(Activation activation, const float* gate, float* up, int64_t count);

// Rotary position embedding, rotate_half convention of Llama/NeoX: within the first rotary_dim
// dims of each head, pairs (i, i + rotary_dim/2) rotate by angle pos·θ_i, θ_i = base^(-2i/rotary_dim),
// with llama3 / linear rope_scaling applied to θ as transformers' rope_init functions do.
class RotaryEmbedding {
 public:
  explicit RotaryEmbedding(const ModelConfig& config);
  // x: [n_tokens, n_heads * head_dim] (row stride `ld`); token t is at positions[t].
  void apply(float* x, int64_t ld, int64_t n_heads, std::span<const int64_t> positions) const;
  const std::vector<double>& inv_freq() const { return inv_freq_; }

 private:
  int64_t head_dim_;
  int64_t rotary_dim_;
  std::vector<double> inv_freq_;  // rotary_dim / 2 frequencies
};

// Row-wise log-softmax value of `target` and whether it is the (first) argmax, in double.
struct TokenScore {
  double logprob;
  bool is_argmax;
};
TokenScore score_token(const float* logits, int64_t vocab, int32_t target);
int32_t argmax(const float* values, int64_t count);

}  // namespace qs
