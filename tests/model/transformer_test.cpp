// KV cache, batching, GPTQ hooks and loading errors of the Transformer, on tiny random checkpoints.
#include "model/transformer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/half.h"
#include "core/parallel.h"
#include "io/random_checkpoint.h"
#include "io/safetensors.h"
#include "model/dense_weight.h"
#include "model/reference_support.h"
#include "float_error_model.h"
#include "test_support.h"

namespace qs {
namespace {

std::unique_ptr<Transformer> tiny_model(const test::ScratchDir& dir, const std::string& architecture,
                                        DType dtype = DType::F32) {
  write_random_checkpoint(dir.path(), tiny_config_json(architecture), {.dtype = dtype, .seed = 3});
  return Transformer::load(dir.path());
}

double max_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double error = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    error = std::max(error, static_cast<double>(std::abs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::abs(a[i])));
  }
  return error / scale;
}

TEST(Transformer, CachedPrefixPlusSuffixEqualsOnePass) {
  for (const char* arch : {"Qwen3ForCausalLM", "GPTNeoXForCausalLM"}) {
    test::ScratchDir dir(std::string("cache_") + arch);
    auto model = tiny_model(dir, arch);
    const int64_t vocab = model->config().vocab_size;
    const std::vector<int32_t> tokens = test::random_tokens(200, vocab, 5);
    const std::vector<float> full = test::batch_logits(*model, {tokens});
    // Prefix of 130 tokens into a cache, then 60 more, then token by token.
    KVCache cache(model->config());
    std::vector<float> pieces;
    auto run = [&](int64_t begin, int64_t end) {
      std::vector<int32_t> part(tokens.begin() + begin, tokens.begin() + end);
      std::vector<float> hidden = model->forward(part, {{end - begin, &cache, true}});
      std::vector<float> logits(static_cast<size_t>((end - begin) * vocab));
      model->logits(hidden.data(), end - begin, logits.data());
      pieces.insert(pieces.end(), logits.begin(), logits.end());
    };
    run(0, 130);
    run(130, 190);
    for (int64_t t = 190; t < 200; ++t) run(t, t + 1);
    EXPECT_EQ(cache.length(), 200);
    EXPECT_LE(max_relative_difference(full, pieces), 1e-5) << arch;
  }
}

// Prefills `contexts` into caches together, decodes `steps` tokens of every sequence in one-token
// spans together, and returns, per sequence, the worst |difference| of the decoded hidden rows
// from the sequence's own uncached forward over its error bound (twice forward_error_bound, with
// the longest attention sum, the sequence, among the dot lengths: the paths block their sums
// differently).
double batched_decode_error_over_bound(const Transformer& model, const std::vector<int64_t>& contexts, int64_t steps) {
  const ModelConfig& c = model.config();
  const auto n = static_cast<int64_t>(contexts.size());
  std::vector<std::vector<int32_t>> tokens;
  std::vector<KVCache> caches;
  caches.reserve(static_cast<size_t>(n));
  SequenceBatch prefill, step;
  std::vector<int32_t> prefill_tokens;
  for (int64_t s = 0; s < n; ++s) {
    const int64_t context = contexts[static_cast<size_t>(s)];
    tokens.push_back(test::random_tokens(context + steps, c.vocab_size, 40 + static_cast<uint64_t>(s)));
    caches.emplace_back(c);
    prefill.push_back({context, &caches.back(), true});
    prefill_tokens.insert(prefill_tokens.end(), tokens.back().begin(), tokens.back().begin() + context);
    step.push_back({1, &caches.back(), true});
  }
  model.forward(prefill_tokens, prefill);
  std::vector<std::vector<float>> decoded(static_cast<size_t>(n));  // each sequence's step rows
  for (int64_t j = 0; j < steps; ++j) {
    std::vector<int32_t> step_tokens;
    for (int64_t s = 0; s < n; ++s)
      step_tokens.push_back(tokens[static_cast<size_t>(s)][static_cast<size_t>(contexts[static_cast<size_t>(s)] + j)]);
    const std::vector<float> hidden = model.forward(step_tokens, step);
    for (int64_t s = 0; s < n; ++s)
      decoded[static_cast<size_t>(s)].insert(decoded[static_cast<size_t>(s)].end(), hidden.begin() + s * c.d_model,
                                             hidden.begin() + (s + 1) * c.d_model);
  }
  double worst_ratio = 0;
  for (int64_t s = 0; s < n; ++s) {
    const auto& t = tokens[static_cast<size_t>(s)];
    const int64_t length = static_cast<int64_t>(t.size()), context = contexts[static_cast<size_t>(s)];
    EXPECT_EQ(caches[static_cast<size_t>(s)].length(), length);
    const std::vector<float> alone = model.forward(t, {{length}});
    double max_abs = 0, worst = 0;
    for (int64_t j = 0; j < steps; ++j)
      for (int64_t i = 0; i < c.d_model; ++i) {
        const double want = alone[static_cast<size_t>((context + j) * c.d_model + i)];
        max_abs = std::max(max_abs, std::fabs(want));
        worst = std::max(worst, std::fabs(decoded[static_cast<size_t>(s)][static_cast<size_t>(j * c.d_model + i)] - want));
      }
    const double bound = 2 * test::forward_error_bound(c.n_layers, std::max({c.d_model, c.d_ff, c.q_dim(), length}), max_abs);
    std::printf("[batched decode] head_dim %lld, context %lld: worst |delta| %.3g, bound %.3g\n",
                static_cast<long long>(c.head_dim), static_cast<long long>(context), worst, bound);
    worst_ratio = std::max(worst_ratio, worst / bound);
  }
  return worst_ratio;
}

// A decode step of several sequences at once (one-token spans: one attention task per KV group,
// the group's query heads against its head-major cached keys and values read once, all spans'
// tasks in one parallel region) equals each sequence's uncached forward. Contexts of 1,100, 800,
// 1 (no cache yet: a decode task with nothing cached) and 300 tokens make the caches grow and
// re-lay at different steps. GQA groups of 4 heads of 128 (enough work for the parallel region),
// then groups of 3 heads of 40 (40 is no multiple of the 16- and 8-float vectors: the kernels'
// scalar tails).
TEST(Transformer, BatchedDecodeStepsEqualEachSequenceAlone) {
  const std::vector<int64_t> contexts{1100, 800, 1, 300};
  test::ScratchDir dir("batched_decode");
  write_random_checkpoint(dir.path(),
                          tiny_config_json("Qwen3ForCausalLM", {.d_model = 256, .n_layers = 2, .n_heads = 16, .n_kv_heads = 4,
                                                                .head_dim = 128, .d_ff = 256, .max_position = 2048}),
                          {.dtype = DType::F32, .seed = 4});
  auto model = Transformer::load(dir.path());
  const ModelConfig& c = model->config();
  int64_t decode_work = 0;  // the first decode step's attention multiply-adds
  for (int64_t context : contexts) decode_work += c.n_heads * (context + 1) * c.head_dim;
  ASSERT_TRUE(worth_threaded_product(decode_work)) << "the batched step must take the parallel region";
  EXPECT_LE(batched_decode_error_over_bound(*model, contexts, 5), 1.0);

  test::ScratchDir odd_dir("batched_decode_odd");
  write_random_checkpoint(odd_dir.path(),
                          tiny_config_json("Qwen3ForCausalLM", {.d_model = 96, .n_layers = 2, .n_heads = 6, .n_kv_heads = 2,
                                                                .head_dim = 40, .d_ff = 128, .max_position = 2048}),
                          {.dtype = DType::F32, .seed = 5});
  EXPECT_LE(batched_decode_error_over_bound(*Transformer::load(odd_dir.path()), contexts, 5), 1.0);
}

TEST(Transformer, ReadOnlySharedPrefixServesSeveralContinuations) {
  test::ScratchDir dir("shared_prefix");
  auto model = tiny_model(dir, "LlamaForCausalLM");
  const int64_t vocab = model->config().vocab_size;
  const std::vector<int32_t> context = test::random_tokens(40, vocab, 6);
  const std::vector<int32_t> a = test::random_tokens(7, vocab, 7), b = test::random_tokens(3, vocab, 8);
  KVCache cache(model->config());
  model->forward(context, {{40, &cache, true}});
  std::vector<int32_t> both = a;
  both.insert(both.end(), b.begin(), b.end());
  std::vector<float> hidden = model->forward(both, {{7, &cache, false}, {3, &cache, false}});
  EXPECT_EQ(cache.length(), 40);  // read-only: nothing appended
  std::vector<float> batched(static_cast<size_t>(10 * vocab));
  model->logits(hidden.data(), 10, batched.data());
  // Against one full pass per continuation.
  for (const auto& [cont, offset] : {std::pair{a, 0}, std::pair{b, 7}}) {
    std::vector<int32_t> whole = context;
    whole.insert(whole.end(), cont.begin(), cont.end());
    std::vector<float> full = test::batch_logits(*model, {whole});
    std::vector<float> tail(full.end() - static_cast<int64_t>(cont.size()) * vocab, full.end());
    std::vector<float> ours(batched.begin() + offset * vocab, batched.begin() + (offset + static_cast<int64_t>(cont.size())) * vocab);
    EXPECT_LE(max_relative_difference(tail, ours), 1e-5);
  }
}

struct RecordingObserver : LinearObserver {
  std::vector<std::string> names;
  std::vector<std::pair<int64_t, int64_t>> shapes;
  void observe(int64_t layer, std::string_view name, const float* x, int64_t rows, int64_t cols) override {
    names.push_back(std::to_string(layer) + ":" + std::string(name));
    shapes.emplace_back(rows, cols);
    EXPECT_TRUE(std::isfinite(x[rows * cols - 1]));
  }
};

// forward() runs a batch above kForwardRunTokens in runs of whole sequences (here runs of 2, 1
// and 2 sequences, a cached prefix among them); the result must equal the whole batch through
// each block at once, for both residual styles. Only the linear layers' GEMMs see other row
// counts (norms, activations and attention are per row or per sequence), and BLAS may block a
// GEMM differently by its row count: the two agree within twice forward_error_bound
// (tests/float_error_model.h), not bit for bit. A misplaced run (wrong rows, wrong cache) moves
// outputs by their own magnitude, orders above that.
TEST(Transformer, ForwardInSequenceRunsEqualsTheWholeBatch) {
  for (const char* arch : {"LlamaForCausalLM", "GPTNeoXForCausalLM"}) {
    test::ScratchDir dir(std::string("runs_") + arch);
    auto model = tiny_model(dir, arch);
    const ModelConfig& c = model->config();
    const std::vector<int64_t> lengths{200, 250, 480, 100, 150};
    ASSERT_GT(200 + 250 + 480 + 100 + 150, Transformer::kForwardRunTokens);
    std::vector<int32_t> tokens = test::random_tokens(1180, c.vocab_size, 21);
    KVCache cache_a(c), cache_b(c);
    const std::vector<int32_t> prefix = test::random_tokens(30, c.vocab_size, 22);
    model->forward(prefix, {{30, &cache_a, true}});
    model->forward(prefix, {{30, &cache_b, true}});
    SequenceBatch runs, whole;
    for (size_t s = 0; s < lengths.size(); ++s) {
      runs.push_back({lengths[s], s == 2 ? &cache_a : nullptr, s == 2});
      whole.push_back({lengths[s], s == 2 ? &cache_b : nullptr, s == 2});
    }
    const std::vector<float> by_runs = model->forward(tokens, runs);
    std::vector<float> hidden = model->embed(tokens);
    for (int64_t layer = 0; layer < c.n_layers; ++layer) model->forward_block(layer, hidden, whole);
    model->finish(hidden, whole);
    ASSERT_EQ(by_runs.size(), hidden.size()) << arch;
    double max_abs = 0, worst = 0;
    for (size_t i = 0; i < hidden.size(); ++i) {
      max_abs = std::max(max_abs, std::fabs(static_cast<double>(hidden[i])));
      worst = std::max(worst, std::fabs(static_cast<double>(by_runs[i]) - hidden[i]));
    }
    const double bound = 2 * test::forward_error_bound(c.n_layers, std::max(c.d_model, c.d_ff), max_abs);
    std::printf("[runs] %s: worst |delta| %.3g, bound %.3g (max |h| %.3g)\n", arch, worst, bound, max_abs);
    EXPECT_LE(worst, bound) << arch;
    EXPECT_EQ(cache_a.length(), 30 + 480);
    EXPECT_EQ(cache_b.length(), 30 + 480);
  }
}

TEST(Transformer, BlockByBlockWithObserverMatchesForward) {
  test::ScratchDir dir("observer");
  auto model = tiny_model(dir, "Qwen2ForCausalLM");
  const ModelConfig& c = model->config();
  const std::vector<int32_t> tokens = test::random_tokens(12, c.vocab_size, 9);
  const SequenceBatch batch{{5}, {7}};
  RecordingObserver observer;
  std::vector<float> hidden = model->embed(tokens);
  for (int64_t layer = 0; layer < c.n_layers; ++layer) model->forward_block(layer, hidden, batch, &observer);
  model->finish(hidden, batch);
  EXPECT_EQ(hidden, model->forward(tokens, batch));
  const std::vector<std::string> expected{"0:self_attn.q_proj", "0:self_attn.k_proj", "0:self_attn.v_proj",
                                          "0:self_attn.o_proj", "0:mlp.up_proj",      "0:mlp.gate_proj",
                                          "0:mlp.down_proj"};
  ASSERT_EQ(observer.names.size(), 14u);
  for (const auto& name : expected)
    EXPECT_NE(std::find(observer.names.begin(), observer.names.begin() + 7, name), observer.names.begin() + 7) << name;
  EXPECT_EQ(observer.shapes[0], (std::pair<int64_t, int64_t>{12, c.d_model}));
  EXPECT_EQ(observer.shapes[3], (std::pair<int64_t, int64_t>{12, c.q_dim()}));
  EXPECT_EQ(observer.shapes[6], (std::pair<int64_t, int64_t>{12, c.d_ff}));
  EXPECT_EQ(model->linear_groups(),
            (std::vector<std::vector<std::string>>{{"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"},
                                                   {"self_attn.o_proj"},
                                                   {"mlp.gate_proj", "mlp.up_proj"},
                                                   {"mlp.down_proj"}}));
  test::ScratchDir neox_dir("observer_neox");
  EXPECT_EQ(tiny_model(neox_dir, "GPTNeoXForCausalLM")->linear_groups(),
            (std::vector<std::vector<std::string>>{
                {"attention.query_key_value"}, {"attention.dense"}, {"mlp.dense_h_to_4h"}, {"mlp.dense_4h_to_h"}}));
}

// Records the input of every linear as the block multiplies it.
struct InputRecorder : LinearObserver {
  std::map<std::string, std::vector<float>> inputs;  // "layer:name" -> x
  void observe(int64_t layer, std::string_view name, const float* x, int64_t rows, int64_t cols) override {
    inputs[std::to_string(layer) + ":" + std::string(name)].assign(x, x + rows * cols);
  }
};

// The staged block (what true-sequential GPTQ runs) against forward_block, for every
// architecture: two batches advanced stage by stage in turn give the same block outputs bit for
// bit, and before stage g the state's input is exactly what group g's linears multiply.
TEST(Transformer, StagedBlockEqualsForwardBlockForEveryArchitecture) {
  for (const char* arch : {"LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "GPTNeoXForCausalLM"}) {
    test::ScratchDir dir(std::string("staged_") + arch);
    auto model = tiny_model(dir, arch, DType::BF16);
    const ModelConfig& c = model->config();
    const std::vector<SequenceBatch> layouts{{{9}, {14}}, {{17}}};
    std::vector<std::vector<float>> reference, staged;
    for (size_t b = 0; b < layouts.size(); ++b) {
      reference.push_back(model->embed(test::random_tokens(total_tokens(layouts[b]), c.vocab_size, 20 + b)));
      staged.push_back(reference.back());
    }
    const auto groups = model->linear_groups();
    ASSERT_EQ(static_cast<int>(groups.size()), Transformer::kBlockStages) << arch;
    for (int64_t layer = 0; layer < c.n_layers; ++layer) {
      std::vector<InputRecorder> recorded(layouts.size());
      for (size_t b = 0; b < layouts.size(); ++b) model->forward_block(layer, reference[b], layouts[b], &recorded[b]);
      std::vector<Transformer::BlockState> states;
      for (size_t b = 0; b < layouts.size(); ++b) states.push_back(model->begin_block(layer, staged[b], layouts[b]));
      for (int stage = 0; stage < Transformer::kBlockStages; ++stage)
        for (size_t b = 0; b < layouts.size(); ++b) {
          for (const auto& name : groups[stage])
            EXPECT_EQ(states[b].input, recorded[b].inputs.at(std::to_string(layer) + ":" + name)) << arch << " " << name;
          model->run_stage(layer, states[b], layouts[b]);
        }
      for (size_t b = 0; b < layouts.size(); ++b) {
        EXPECT_EQ(states[b].hidden, reference[b]) << arch << " layer " << layer;
        EXPECT_THROW(model->run_stage(layer, states[b], layouts[b]), Error);
        staged[b] = std::move(states[b].hidden);
      }
    }
  }
}

// A WeightMatrix holding its own fp32 copy (what a quantizer would produce), optionally scaled.
class OwnedWeight : public WeightMatrix {
 public:
  OwnedWeight(const WeightMatrix& source, float scale) : out_(source.out_features()), in_(source.in_features()) {
    values_.resize(static_cast<size_t>(out_ * in_));
    source.rows_to_f32(0, out_, values_.data());
    for (float& v : values_) v *= scale;
  }
  int64_t out_features() const override { return out_; }
  int64_t in_features() const override { return in_; }
  void rows_to_f32(int64_t r0, int64_t r1, float* dst) const override {
    std::copy(values_.begin() + r0 * in_, values_.begin() + r1 * in_, dst);
  }
  int64_t stored_bytes() const override { return static_cast<int64_t>(values_.size() * 4); }
  double bits_per_weight() const override { return 32; }
  std::string format() const override { return "owned"; }

 private:
  int64_t out_, in_;
  std::vector<float> values_;
};

TEST(Transformer, ReplaceLinearAndWeightFactoryHook) {
  test::ScratchDir dir("replace");
  auto model = tiny_model(dir, "LlamaForCausalLM", DType::BF16);
  const std::vector<int32_t> tokens = test::random_tokens(9, model->config().vocab_size, 10);
  const std::vector<float> before = test::batch_logits(*model, {tokens});
  // The same values through a non-F32 WeightMatrix (widened per tile): identical logits.
  model->replace_linear(1, "mlp.down_proj", std::make_unique<OwnedWeight>(model->linear(1, "mlp.down_proj"), 1.0f));
  EXPECT_EQ(model->linear(1, "mlp.down_proj").format(), "owned");
  EXPECT_LE(max_relative_difference(before, test::batch_logits(*model, {tokens})), 1e-6);
  model->replace_linear(1, "mlp.down_proj", std::make_unique<OwnedWeight>(model->linear(1, "mlp.down_proj"), 0.0f));
  EXPECT_GT(max_relative_difference(before, test::batch_logits(*model, {tokens})), 1e-3);
  EXPECT_THROW(model->replace_linear(0, "self_attn.q_proj", std::make_unique<OwnedWeight>(model->linear(0, "mlp.up_proj"), 1.0f)),
               Error);
  EXPECT_THROW(model->replace_linear(0, "no_such", nullptr), Error);
  // Factory hook: every linear goes through it, with the config's shapes.
  int calls = 0;
  auto counted = Transformer::load(dir.path(), [&](const Checkpoint& ckpt, const std::string& prefix, int64_t out, int64_t in) {
    ++calls;
    EXPECT_NE(ckpt.find(prefix + ".weight"), nullptr) << prefix;
    return dense_weight_factory(ckpt, prefix, out, in);
  });
  EXPECT_EQ(calls, 2 * 7);
  EXPECT_EQ(before, test::batch_logits(*counted, {tokens}));
}

TEST(Transformer, TiedMatrixStoredOnlyAsLmHead) {
  test::ScratchDir a("tied_embed"), b("tied_head");
  write_random_checkpoint(a.path(), tiny_config_json("LlamaForCausalLM"), {.seed = 4});
  write_random_checkpoint(b.path(), tiny_config_json("LlamaForCausalLM"), {.seed = 4, .tied_as_lm_head = true});
  auto model_a = Transformer::load(a.path());
  auto model_b = Transformer::load(b.path());
  EXPECT_EQ(model_b->checkpoint().find("model.embed_tokens.weight"), nullptr);
  const std::vector<int32_t> tokens = test::random_tokens(8, 256, 11);
  EXPECT_EQ(test::batch_logits(*model_a, {tokens}), test::batch_logits(*model_b, {tokens}));
}

// Rewrites model.safetensors of `dir` through `edit` (name -> tensor list), keeping config.json.
void rewrite_tensors(const std::string& dir, const std::function<void(std::vector<TensorToWrite>&)>& edit) {
  SafetensorsFile file(dir + "/model.safetensors");
  std::vector<TensorToWrite> tensors;
  for (const auto& t : file.tensors()) tensors.push_back(tensor_from_f32(t.name, DType::F32, t.shape, t.to_f32()));
  edit(tensors);
  write_safetensors(dir + "/model.safetensors.new", tensors);
  std::filesystem::rename(dir + "/model.safetensors.new", dir + "/model.safetensors");
}

std::string load_error(const std::string& dir) {
  try {
    Transformer::load(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Transformer, BadCheckpointsNameFileAndTensor) {
  test::ScratchDir dir("bad_checkpoints");
  const std::string name = "model.layers.1.self_attn.k_proj.weight";
  write_random_checkpoint(dir.path(), tiny_config_json("LlamaForCausalLM"));
  rewrite_tensors(dir.path(), [&](auto& tensors) {
    std::erase_if(tensors, [&](const TensorToWrite& t) { return t.name == name; });
  });
  std::string missing = load_error(dir.path());
  EXPECT_NE(missing.find("missing tensor '" + name + "'"), std::string::npos) << missing;

  write_random_checkpoint(dir.path(), tiny_config_json("LlamaForCausalLM"));
  rewrite_tensors(dir.path(), [&](auto& tensors) {
    for (auto& t : tensors)
      if (t.name == name) t = tensor_from_f32(name, DType::F32, {16, 64}, std::vector<float>(16 * 64, 0.5f));
  });
  std::string shape = load_error(dir.path());
  EXPECT_NE(shape.find(name), std::string::npos) << shape;
  EXPECT_NE(shape.find("[16, 64]"), std::string::npos) << shape;
  EXPECT_NE(shape.find("[32, 64]"), std::string::npos) << shape;  // what the config implies
  EXPECT_NE(shape.find("model.safetensors"), std::string::npos) << shape;

  for (DType dtype : {DType::F32, DType::BF16}) {
    write_random_checkpoint(dir.path(), tiny_config_json("LlamaForCausalLM"), {.dtype = dtype});
    SafetensorsFile file(dir.path() + "/model.safetensors");
    std::vector<TensorToWrite> tensors;
    for (const auto& t : file.tensors()) {
      std::vector<float> values = t.to_f32();
      if (t.name == "model.layers.0.mlp.up_proj.weight") values[77] = std::numeric_limits<float>::quiet_NaN();
      tensors.push_back(tensor_from_f32(t.name, dtype, t.shape, values));
    }
    write_safetensors(dir.path() + "/model.safetensors", tensors);
    std::string nan = load_error(dir.path());
    EXPECT_NE(nan.find("model.layers.0.mlp.up_proj.weight"), std::string::npos) << nan;
    EXPECT_NE(nan.find("element 77"), std::string::npos) << nan;
  }

  nlohmann::json config = nlohmann::json::parse(tiny_config_json("LlamaForCausalLM"));
  config["architectures"] = {"MambaForCausalLM"};
  write_file_atomic(dir.path() + "/config.json", config.dump());
  std::string unknown = load_error(dir.path());
  EXPECT_NE(unknown.find("unsupported architecture 'MambaForCausalLM'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("config.json"), std::string::npos) << unknown;
  EXPECT_NE(load_error(dir.path() + "/nowhere").find("nowhere"), std::string::npos);
}

TEST(Transformer, ShardedCheckpointLoadsLikeASingleFile) {
  test::ScratchDir dir("sharded");
  write_random_checkpoint(dir.path(), tiny_config_json("Qwen3ForCausalLM"), {.seed = 12});
  auto single = Transformer::load(dir.path());
  const std::vector<int32_t> tokens = test::random_tokens(6, 256, 13);
  const std::vector<float> expected = test::batch_logits(*single, {tokens});
  single.reset();
  SafetensorsFile file(dir.path() + "/model.safetensors");
  std::vector<TensorToWrite> shard[2];
  nlohmann::json map;
  size_t i = 0;
  for (const auto& t : file.tensors()) {
    const int s = static_cast<int>(i++ % 2);
    shard[s].push_back(tensor_from_f32(t.name, DType::F32, t.shape, t.to_f32()));
    map[t.name] = "model-0000" + std::to_string(s + 1) + "-of-00002.safetensors";
  }
  write_safetensors(dir.file("model-00001-of-00002.safetensors"), shard[0]);
  write_safetensors(dir.file("model-00002-of-00002.safetensors"), shard[1]);
  std::filesystem::remove(dir.file("model.safetensors"));
  write_file_atomic(dir.file("model.safetensors.index.json"), nlohmann::json{{"metadata", {}}, {"weight_map", map}}.dump());
  EXPECT_EQ(expected, test::batch_logits(*Transformer::load(dir.path()), {tokens}));
  // An index naming the wrong shard is caught.
  map[file.tensors()[0].name] = "model-00002-of-00002.safetensors";
  map[file.tensors()[1].name] = "model-00001-of-00002.safetensors";
  write_file_atomic(dir.file("model.safetensors.index.json"), nlohmann::json{{"weight_map", map}}.dump());
  EXPECT_NE(load_error(dir.path()).find("weight_map"), std::string::npos);
}

}  // namespace
}  // namespace qs
