// Per-target file (core/cpu_dispatch.h): the norm and activation kernels are compiled once per
// instruction set by Highway and picked at run time; RoPE and the scoring helpers are not hot.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "model/layer_ops.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/cpu_dispatch.h"
#include "core/vector_math.h"
#include "hwy/highway.h"
#include "model/layer_ops.h"
#include "core/parallel.h"

HWY_BEFORE_NAMESPACE();
namespace qs {
namespace HWY_NAMESPACE {

void NormRows(NormKind kind, const NormWeights& norm, double eps, const float* x, int64_t rows, int64_t width,
                float* y) {
  const float* w = norm.weight.data();
  const float* b = norm.bias.empty() ? nullptr : norm.bias.data();
#pragma omp parallel for schedule(static) if (worth_parallel(rows * width))
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * width;
    float* out = y + r * width;
    // Mean and variance in double (two passes, centered: no cancellation), vectorized.
    double mean = 0;
    if (kind == NormKind::LayerNorm) {
#pragma omp simd reduction(+ : mean)
      for (int64_t i = 0; i < width; ++i) mean += in[i];
      mean /= static_cast<double>(width);
    }
    double sum_sq = 0;
#pragma omp simd reduction(+ : sum_sq)
    for (int64_t i = 0; i < width; ++i) {
      const double centered = in[i] - mean;
      sum_sq += centered * centered;
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(width) + eps));
    const float shift = static_cast<float>(mean);
    if (b) {
#pragma omp simd
      for (int64_t i = 0; i < width; ++i) out[i] = (in[i] - shift) * inv * w[i] + b[i];
    } else {
#pragma omp simd
      for (int64_t i = 0; i < width; ++i) out[i] = (in[i] - shift) * inv * w[i];
    }
  }
}

namespace {
// act(x) for x[0, n), n <= kActivationChunk, into `result`: the transcendental part through the
// vector math library (core/vector_math.h), the rest in plain loops the compiler vectorizes.
constexpr int64_t kActivationChunk = 512;

void activate(Activation activation, const float* x, int64_t n, float* result) {
  switch (activation) {
    case Activation::SiLU:  // x / (1 + exp(-x))
      for (int64_t i = 0; i < n; ++i) result[i] = -x[i];
      exp_in_place(result, n);
      for (int64_t i = 0; i < n; ++i) result[i] = x[i] / (1.0f + result[i]);
      return;
    case Activation::GELU: {  // x/2 · (1 + erf(x / sqrt 2))
      const auto inv_sqrt2 = static_cast<float>(std::numbers::sqrt2 / 2);
      for (int64_t i = 0; i < n; ++i) result[i] = x[i] * inv_sqrt2;
      erf_in_place(result, n);
      for (int64_t i = 0; i < n; ++i) result[i] = 0.5f * x[i] * (1.0f + result[i]);
      return;
    }
    case Activation::GELUTanh: {  // x/2 · (1 + tanh(sqrt(2/pi) · (x + 0.044715 x^3)))
      const auto k = static_cast<float>(std::sqrt(2.0 / std::numbers::pi));
      for (int64_t i = 0; i < n; ++i) result[i] = k * (x[i] + 0.044715f * x[i] * x[i] * x[i]);
      tanh_in_place(result, n);
      for (int64_t i = 0; i < n; ++i) result[i] = 0.5f * x[i] * (1.0f + result[i]);
      return;
    }
  }
  std::copy_n(x, n, result);
}

// out = act(x) ⊙ out, or out = act(x) when `gated` is false (x may be out), in chunks across
// threads.
void activate_all(Activation activation, const float* x, float* out, bool gated, int64_t count) {
  const int64_t chunks = (count + kActivationChunk - 1) / kActivationChunk;
#pragma omp parallel for schedule(static) if (worth_parallel(8 * count))
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    float result[kActivationChunk];
    const int64_t begin = chunk * kActivationChunk, n = std::min(kActivationChunk, count - begin);
    activate(activation, x + begin, n, result);
    if (gated)
      for (int64_t i = 0; i < n; ++i) out[begin + i] *= result[i];
    else
      std::copy_n(result, n, out + begin);
  }
}
}  // namespace

void ActivateAll(Activation activation, const float* x, float* out, bool gated, int64_t count) {
  activate_all(activation, x, out, gated, count);
}

}  // namespace HWY_NAMESPACE
}  // namespace qs
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qs {

HWY_EXPORT(NormRows);
HWY_EXPORT(ActivateAll);

void apply_norm(NormKind kind, const NormWeights& norm, double eps, const float* x, int64_t rows, int64_t width,
                float* y) {
  QS_DISPATCH(NormRows)(kind, norm, eps, x, rows, width, y);
}

void apply_activation(Activation activation, float* x, int64_t count) {
  QS_DISPATCH(ActivateAll)(activation, x, x, false, count);
}

void gated_activation(Activation activation, const float* gate, float* up, int64_t count) {
  QS_DISPATCH(ActivateAll)(activation, gate, up, true, count);
}

RotaryEmbedding::RotaryEmbedding(const ModelConfig& config)
    : head_dim_(config.head_dim), rotary_dim_(config.rotary_dim) {
  const int64_t half = rotary_dim_ / 2;
  const RopeScaling& scaling = config.rope_scaling;
  for (int64_t i = 0; i < half; ++i) {
    double inv_freq = std::pow(config.rope_theta, -2.0 * static_cast<double>(i) / static_cast<double>(rotary_dim_));
    if (scaling.type == RopeScaling::Type::Linear) {
      inv_freq /= scaling.factor;
    } else if (scaling.type == RopeScaling::Type::Llama3) {
      // transformers _compute_llama3_parameters: long wavelengths are slowed by `factor`, short
      // ones kept, the band between interpolated smoothly.
      const double low_freq_wavelen = scaling.original_max_position / scaling.low_freq_factor;
      const double high_freq_wavelen = scaling.original_max_position / scaling.high_freq_factor;
      const double wavelen = 2 * std::numbers::pi / inv_freq;
      if (wavelen > low_freq_wavelen) {
        inv_freq /= scaling.factor;
      } else if (wavelen >= high_freq_wavelen) {
        const double smooth = (scaling.original_max_position / wavelen - scaling.low_freq_factor) /
                              (scaling.high_freq_factor - scaling.low_freq_factor);
        inv_freq = (1 - smooth) * inv_freq / scaling.factor + smooth * inv_freq;
      }
    }
    inv_freq_.push_back(inv_freq);
  }
}

void RotaryEmbedding::apply(float* x, int64_t ld, int64_t n_heads, std::span<const int64_t> positions) const {
  const int64_t half = rotary_dim_ / 2;
  const auto n_tokens = static_cast<int64_t>(positions.size());
#pragma omp parallel if (worth_parallel(n_tokens * n_heads * head_dim_))
  {
    std::vector<float> cos_t(static_cast<size_t>(half)), sin_t(static_cast<size_t>(half));
#pragma omp for schedule(static)
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int64_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(positions[t]) * inv_freq_[i];
        cos_t[i] = static_cast<float>(std::cos(angle));
        sin_t[i] = static_cast<float>(std::sin(angle));
      }
      for (int64_t h = 0; h < n_heads; ++h) {
        float* v = x + t * ld + h * head_dim_;
        for (int64_t i = 0; i < half; ++i) {
          const float a = v[i], b = v[i + half];
          v[i] = a * cos_t[i] - b * sin_t[i];
          v[i + half] = b * cos_t[i] + a * sin_t[i];
        }
      }
    }
  }
}

int32_t argmax(const float* values, int64_t count) {
  int64_t best = 0;
  for (int64_t i = 1; i < count; ++i)
    if (values[i] > values[best]) best = i;
  return static_cast<int32_t>(best);
}

TokenScore score_token(const float* logits, int64_t vocab, int32_t target) {
  const int32_t best = argmax(logits, vocab);
  const double max_logit = logits[best];
  double sum = 0;
  for (int64_t i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(logits[i]) - max_logit);
  return {static_cast<double>(logits[target]) - max_logit - std::log(sum), target == best};
}

}  // namespace qs
#endif  // HWY_ONCE
