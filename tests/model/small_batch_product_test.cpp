// The small-batch (decode) product of every WeightMatrix against the exact product, and the
// linear op's decode path against its widen + sgemm path, down to greedy generation.
// Tolerances: Higham's γ_k dot-product bound (tests/float_error_model.h) on the exact (double)
// product of the same fp32 weights; generation compared where the old path's margin exceeds the
// logit error bound, near-ties counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "core/half.h"
#include "float_error_model.h"
#include "io/random_checkpoint.h"
#include "io/safetensors.h"
#include "model/dense_weight.h"
#include "model/linear.h"
#include "model/reference_support.h"
#include "model/transformer_lm.h"
#include "quant/gptq_pack.h"
#include "quant/gptq_weight.h"
#include "quant/gptq_import.h"
#include "quant/quantize_model.h"
#include "test_support.h"

namespace qs {
namespace {

std::vector<float> random_values(int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(count));
  for (float& v : values) v = normal(rng);
  return values;
}

// Restores the default paths when a test ends, also on failure.
struct PathsGuard {
  ~PathsGuard() { set_linear_paths({}); }
};

// What a product's rounding error scales with: per weight a magnitude m[o, i] (the bound is
// γ_{in + extra_steps} · Σ_i m[o, i] · |x_i|, plus |bias| and |y0|). A dense product, and a GPTQ
// product that dequantizes per weight, round each term x·w once: m = |w|, two more steps (bias,
// accumulated y). The GPTQ decode product's single-group runs (gptq_dequantize.cpp, ScaledRun)
// sum code · x and Σ x per run and apply s · (Σ code·x − z · Σ x) once: m = |s| · (code + |z|), and
// three more steps (the zero's FMA, the scale's FMA, w = s · (code − z) rounded in the reference).
struct ErrorModel {
  std::vector<float> magnitude_rows;  // [out, in]
  int64_t extra_steps = 2;
};

ErrorModel dense_error_model(const WeightMatrix& w) {
  ErrorModel model;
  model.magnitude_rows.resize(static_cast<size_t>(w.out_features() * w.in_features()));
  w.rows_to_f32(0, w.out_features(), model.magnitude_rows.data());
  for (float& m : model.magnitude_rows) m = std::abs(m);
  return model;
}

ErrorModel gptq_error_model(const GptqWeight& w) {
  const PackedGptqView v = w.view();
  ErrorModel model{std::vector<float>(static_cast<size_t>(v.out_features * v.in_features)), 5};
  uint32_t codes[32];
  for (int64_t o = 0; o < v.out_features; ++o)
    for (int64_t run = 0; run < v.in_features / 32; ++run) {
      unpack_run(v.qweight + run * v.bits * v.out_features + o, v.out_features, v.bits, codes);
      for (int k = 0; k < 32; ++k) {
        const int64_t i = run * 32 + k, g = v.g_idx[i];
        model.magnitude_rows[static_cast<size_t>(o * v.in_features + i)] =
            std::abs(v.scale[g * v.out_features + o]) *
            (static_cast<float>(codes[k]) + std::abs(v.zero[g * v.out_features + o]));
      }
    }
  return model;
}

// y (+)= x · Wᵀ (+ bias) in double, with the error model's magnitude per output for the bound.
struct Exact {
  std::vector<double> value, magnitude;
};
Exact exact_product(const WeightMatrix& w, const ErrorModel& model, const float* x, int64_t n, const float* bias,
                    const float* y0) {
  const int64_t out = w.out_features(), in = w.in_features();
  std::vector<float> rows(static_cast<size_t>(out * in));
  w.rows_to_f32(0, out, rows.data());
  Exact e{std::vector<double>(static_cast<size_t>(n * out)), std::vector<double>(static_cast<size_t>(n * out))};
  for (int64_t t = 0; t < n; ++t)
    for (int64_t o = 0; o < out; ++o) {
      double sum = 0, magnitude = 0;
      for (int64_t i = 0; i < in; ++i) {
        const double xi = x[t * in + i];
        sum += xi * rows[static_cast<size_t>(o * in + i)];
        magnitude += std::abs(xi) * model.magnitude_rows[static_cast<size_t>(o * in + i)];
      }
      for (const float* extra : {bias ? bias + o : nullptr, y0 ? y0 + t * out + o : nullptr})
        if (extra) sum += *extra, magnitude += std::abs(*extra);
      e.value[static_cast<size_t>(t * out + o)] = sum;
      e.magnitude[static_cast<size_t>(t * out + o)] = magnitude;
    }
  return e;
}

// Worst |y − exact| / bound over the outputs, bound = γ_{steps} · magnitude (any summation order).
// Fails the test when above 1.
double check_within_bound(const std::vector<float>& y, const Exact& e, int64_t steps, const std::string& what) {
  double worst = 0;
  for (size_t k = 0; k < y.size(); ++k) {
    const double bound = test::dot_error_bound(steps, e.magnitude[k]);
    const double error = std::abs(static_cast<double>(y[k]) - e.value[k]);
    worst = std::max(worst, bound > 0 ? error / bound : error);
    if (!(error <= bound)) {
      ADD_FAILURE() << what << ": output " << k << " = " << y[k] << ", exact " << e.value[k] << ", error " << error
                    << " > bound " << bound;
      return worst;
    }
  }
  return worst;
}

// accumulate_product for batches 1..33 (the fused and 8-token block paths of every kernel) and
// linear_forward on both paths with a bias and with Accumulate::Yes.
double check_matrix(const WeightMatrix& w, const ErrorModel& model, const std::string& what) {
  PathsGuard guard;
  const int64_t out = w.out_features(), in = w.in_features(), steps = in + model.extra_steps;
  const std::vector<float> bias = random_values(out, 91);
  double worst = 0;
  for (int64_t n = 1; n <= 33; ++n) {
    const std::vector<float> x = random_values(n * in, 100 + static_cast<uint64_t>(n));
    const std::string at = what + " batch " + std::to_string(n);
    std::vector<float> y(static_cast<size_t>(n * out), 0.0f);
    // Two disjoint row ranges, as two threads would take them.
    const int64_t split = out / 2;
    w.accumulate_product(x.data(), n, 0, split, y.data());
    w.accumulate_product(x.data(), n, split, out, y.data());
    worst = std::max(worst, check_within_bound(y, exact_product(w, model, x.data(), n, nullptr, nullptr), steps,
                                               at + " product"));
    const std::vector<float> y0 = random_values(n * out, 7);
    const Exact with_bias = exact_product(w, model, x.data(), n, bias.data(), nullptr);
    const Exact accumulated = exact_product(w, model, x.data(), n, bias.data(), y0.data());
    for (const bool small : {true, false}) {
      set_linear_paths({.small_batch = small, .thread_tiles = small});
      const std::string path = small ? " (decode path)" : " (widen + sgemm)";
      std::vector<float> z(static_cast<size_t>(n * out), NAN);
      linear_forward(w, bias.data(), x.data(), n, z.data());
      worst = std::max(worst, check_within_bound(z, with_bias, steps, at + path));
      z = y0;
      linear_forward(w, bias.data(), x.data(), n, z.data(), Accumulate::Yes);
      worst = std::max(worst, check_within_bound(z, accumulated, steps, at + path + " accumulate"));
    }
  }
  return worst;
}

TensorView dense_tensor(DType dtype, int64_t out, int64_t in, const void* data) {
  TensorView t;
  t.name = "w";
  t.file = "memory";
  t.dtype = dtype;
  t.shape = {out, in};
  t.data = static_cast<const uint8_t*>(data);
  t.n_bytes = static_cast<size_t>(out * in) * dtype_size(dtype);
  return t;
}

TEST(SmallBatchProduct, DenseWithinDotBoundForEveryDtype) {
  // Odd shapes: a row count not a multiple of 4 (the row-block tail) and in not a multiple of
  // any vector width (the scalar tail of each dot product).
  for (const auto& [out, in] : std::vector<std::pair<int64_t, int64_t>>{{67, 37}, {5, 256}, {1, 1}}) {
    std::vector<float> values = random_values(out * in, 3);
    // F16 subnormals (|v| < 2^-14) and values near its top take the conversion's other cases.
    values[0] = 3e-6f;
    if (values.size() > 2) values[1] = -5e-7f, values[2] = 60000.0f;
    std::vector<uint16_t> bf16(values.size()), f16(values.size());
    for (size_t k = 0; k < values.size(); ++k) bf16[k] = f32_to_bf16(values[k]), f16[k] = f32_to_fp16(values[k]);
    const TensorView tensors[] = {dense_tensor(DType::F32, out, in, values.data()),
                                  dense_tensor(DType::BF16, out, in, bf16.data()),
                                  dense_tensor(DType::F16, out, in, f16.data())};
    for (const TensorView& tensor : tensors) {
      const DenseWeight w(tensor);
      const double worst = check_matrix(w, dense_error_model(w), w.format() + " " + std::to_string(out) + "x" + std::to_string(in));
      RecordProperty(w.format() + "_" + std::to_string(out) + "x" + std::to_string(in) + "_worst_error_over_bound",
                     std::to_string(worst));
    }
  }
}

// A GPTQ weight with random codes, zeros and fp16 scales; act-order: a random g_idx with every
// group the same size, as GPTQ's permutation produces.
GptqWeight random_gptq(int bits, int group_size, bool act_order, int64_t out, int64_t in, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int64_t size = group_size > 0 ? group_size : in, groups = (in + size - 1) / size;
  const uint32_t levels = 1u << bits;
  std::vector<uint8_t> codes(static_cast<size_t>(out * in));
  for (auto& c : codes) c = static_cast<uint8_t>(rng() % levels);
  std::vector<int32_t> g_idx(static_cast<size_t>(in));
  for (int64_t i = 0; i < in; ++i) g_idx[static_cast<size_t>(i)] = static_cast<int32_t>(i / size);
  if (act_order) std::shuffle(g_idx.begin(), g_idx.end(), rng);
  std::vector<uint32_t> stored_zeros(static_cast<size_t>(groups * out));
  for (auto& z : stored_zeros) z = static_cast<uint32_t>(rng() % levels);  // zero − 1 in v1
  GptqTensors t;
  t.bits = bits;
  t.group_size = group_size;
  t.out_features = out;
  t.in_features = in;
  t.qweight = pack_qweight(codes.data(), out, in, bits);
  t.qzeros = pack_columns(stored_zeros, groups, out, bits);
  std::uniform_real_distribution<float> scale(0.001f, 0.1f);
  t.scales.resize(static_cast<size_t>(groups * out));
  for (auto& s : t.scales) s = f32_to_fp16(scale(rng));
  t.g_idx = g_idx;
  return GptqWeight(std::move(t), "random");
}

TEST(SmallBatchProduct, GptqWithinDotBoundForEveryBitsGroupAndOrder) {
  double worst = 0;
  for (const int bits : {2, 3, 4, 8})
    for (const int group_size : {32, 128, -1})
      for (const bool act_order : {false, true})
        for (const int64_t out : {67, 32, 160}) {
          const int64_t in = 256;
          const GptqWeight w = random_gptq(bits, group_size, act_order, out, in, 11 * bits + out);
          const std::string what = w.format() + (act_order ? " act-order " : " ") + std::to_string(out) + "x256";
          // The column tile is the row widening transposed, bit for bit (same formula, no FMA).
          std::vector<float> rows(static_cast<size_t>(out * in)), columns(static_cast<size_t>(out * in) + 3);
          w.rows_to_f32(0, out, rows.data());
          const int64_t ld = out + 3, split = out / 2 + 1;
          columns.resize(static_cast<size_t>(in * ld));
          ASSERT_TRUE(w.columns_to_f32(0, split, columns.data(), ld));
          ASSERT_TRUE(w.columns_to_f32(split, out, columns.data() + split, ld));
          for (int64_t o = 0; o < out; ++o)
            for (int64_t i = 0; i < in; ++i)
              ASSERT_EQ(rows[static_cast<size_t>(o * in + i)], columns[static_cast<size_t>(i * ld + o)]) << what << " " << o << "," << i;
          worst = std::max(worst, check_matrix(w, gptq_error_model(w), what));
        }
  RecordProperty("gptq_worst_error_over_bound", std::to_string(worst));
}

// Prefill-sized calls (n_tokens above the crossover and ≥ 4M multiply-adds, so the output rows
// split between the threads, each widening its own tiles): both tile paths within the bound.
TEST(SmallBatchProduct, PrefillTilesWithinDotBound) {
  PathsGuard guard;
  const int64_t out = 203, in = 512, n = 80;
  std::vector<uint16_t> bf16(static_cast<size_t>(out * in));
  const std::vector<float> values = random_values(out * in, 13);
  for (size_t k = 0; k < bf16.size(); ++k) bf16[k] = f32_to_bf16(values[k]);
  const TensorView tensor = dense_tensor(DType::BF16, out, in, bf16.data());
  const DenseWeight dense(tensor);
  const GptqWeight gptq = random_gptq(4, 128, true, out, in, 17);
  const std::vector<float> x = random_values(n * in, 19), bias = random_values(out, 23);
  for (const WeightMatrix* w : {static_cast<const WeightMatrix*>(&dense), static_cast<const WeightMatrix*>(&gptq)}) {
    const ErrorModel model = dense_error_model(*w);  // the prefill path widens per weight
    const Exact exact = exact_product(*w, model, x.data(), n, bias.data(), nullptr);
    for (const bool fresh : {true, false}) {
      set_linear_paths({.small_batch = true, .thread_tiles = fresh});
      std::vector<float> y(static_cast<size_t>(n * out), NAN);
      linear_forward(*w, bias.data(), x.data(), n, y.data());
      check_within_bound(y, exact, in + model.extra_steps, w->format() + (fresh ? " thread tiles" : " shared tile"));
    }
  }
}

// Greedy generation through the decode path equals the widen + sgemm path's, except where the
// old path's top two logits are within the logit error bound (a near-tie either path may break
// either way): each divergence is checked to be one and counted.
int generation_near_ties(const std::function<std::unique_ptr<Transformer>()>& load, const std::string& what) {
  PathsGuard guard;
  std::unique_ptr<Transformer> reference = load();
  const Transformer& model = *reference;
  const int64_t vocab = model.config().vocab_size;
  std::vector<GenerationRequest> requests;
  for (uint64_t s = 0; s < 6; ++s) requests.push_back({test::random_tokens(3 + 5 * s, vocab, 40 + s), 24, {}});
  std::vector<std::vector<int32_t>> outputs[2];
  for (const bool small : {true, false}) {
    set_linear_paths({.small_batch = small, .thread_tiles = small});
    // Batches of 4 and 2: decode steps of 1 to 4 rows.
    TransformerLM lm(load(), nullptr, {.max_generation_batch = 4});
    outputs[small ? 0 : 1] = lm.generate_until(requests);
  }
  set_linear_paths({.small_batch = false, .thread_tiles = false});
  int near_ties = 0;
  const int64_t k = std::max(model.config().d_model, model.config().d_ff);
  for (size_t r = 0; r < requests.size(); ++r) {
    const auto& fresh = outputs[0][r];
    const auto& old = outputs[1][r];
    const auto mismatch = std::mismatch(fresh.begin(), fresh.end(), old.begin(), old.end());
    if (mismatch.first == fresh.end() && mismatch.second == old.end()) continue;
    if (mismatch.first == fresh.end() || mismatch.second == old.end()) {
      ADD_FAILURE() << what << " request " << r << ": lengths differ without a token differing";
      continue;
    }
    std::vector<int32_t> sequence = requests[r].context_tokens;
    sequence.insert(sequence.end(), old.begin(), mismatch.second);
    const std::vector<float> logits = test::batch_logits(model, {sequence});
    const float* last = logits.data() + (sequence.size() - 1) * static_cast<size_t>(vocab);
    const double max_abs = std::abs(*std::max_element(last, last + vocab, [](float a, float b) { return std::abs(a) < std::abs(b); }));
    const double margin = static_cast<double>(last[*mismatch.second]) - last[*mismatch.first];
    const double bound = test::logprob_error_bound(model.config().n_layers, k, max_abs);
    EXPECT_LE(margin, bound) << what << " request " << r << " step " << (mismatch.second - old.begin())
                             << ": greedy tokens differ where the old path's margin is not a near-tie";
    ++near_ties;
  }
  return near_ties;
}

TEST(SmallBatchProduct, GreedyGenerationEqualsWidenPathExceptNearTies) {
  test::ScratchDir dir("small_batch_generation");
  TinyShape shape;
  shape.d_model = 128;
  shape.d_ff = 256;
  shape.vocab_size = 512;
  int near_ties = 0;
  for (const DType dtype : {DType::F32, DType::BF16}) {
    const std::string model_dir = dir.file(std::string(dtype_name(dtype)));
    write_random_checkpoint(model_dir, tiny_config_json("Qwen3ForCausalLM", shape), {.dtype = dtype, .seed = 5});
    near_ties += generation_near_ties([&] { return Transformer::load(model_dir); }, std::string(dtype_name(dtype)));
  }
  QuantizeOptions o;
  o.method = QuantMethod::Rtn;
  o.gptq.grid.bits = 4;
  o.gptq.group_size = 32;
  o.heldout_samples = 0;
  o.show_progress = false;
  quantize_model(dir.file("F32"), o, dir.file("gptq"));
  near_ties += generation_near_ties([&] { return load_model(dir.file("gptq")); }, "GPTQ 4-bit g32");
  RecordProperty("near_ties", near_ties);
  // 3 models × 6 sequences × 24 tokens: a near-tie at every sequence would mean the paths differ
  // by more than rounding.
  EXPECT_LE(near_ties, 3);
}

}  // namespace
}  // namespace qs
