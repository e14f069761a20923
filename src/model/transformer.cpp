#include "model/transformer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include "core/error.h"
#include "model/attention.h"
#include "model/dense_weight.h"
#include "model/linear.h"
#include "core/parallel.h"

namespace qs {

std::unique_ptr<WeightMatrix> dense_weight_factory(const Checkpoint& checkpoint, const std::string& prefix,
                                                   int64_t out, int64_t in) {
  return std::make_unique<DenseWeight>(checkpoint.get(prefix + ".weight", {out, in}));
}

namespace {

std::vector<float> load_vector(const Checkpoint& checkpoint, const std::string& name, int64_t size) {
  const TensorView& tensor = checkpoint.get(name, {size});
  check_finite(tensor);
  return tensor.to_f32();
}

NormWeights load_norm(const Checkpoint& checkpoint, NormKind kind, const std::string& prefix, int64_t width) {
  NormWeights norm;
  norm.weight = load_vector(checkpoint, prefix + ".weight", width);
  if (kind == NormKind::LayerNorm) norm.bias = load_vector(checkpoint, prefix + ".bias", width);
  return norm;
}

// The stage of the staged block (Transformer::run_stage) that multiplies by a linear of `role`.
int block_stage_of(LinearRole role) {
  switch (role) {
    case LinearRole::O: return 1;
    case LinearRole::Gate:
    case LinearRole::Up: return 2;
    case LinearRole::Down: return 3;
    default: return 0;  // Q, K, V, QKV
  }
}

// The factory's weight for `prefix`, checked to be [out, in].
std::unique_ptr<WeightMatrix> factory_weight(const WeightFactory& factory, const Checkpoint& checkpoint,
                                             const std::string& prefix, int64_t out, int64_t in) {
  std::unique_ptr<WeightMatrix> weight = factory(checkpoint, prefix, out, in);
  require(weight && weight->out_features() == out && weight->in_features() == in, checkpoint.dir(),
          "weight factory returned a wrong shape for '" + prefix + "'");
  return weight;
}

}  // namespace

std::unique_ptr<Transformer> Transformer::load(const std::string& dir, const WeightFactory& factory) {
  return load(Checkpoint::open(dir), factory);
}

std::unique_ptr<Transformer> Transformer::load(Checkpoint checkpoint, const WeightFactory& factory) {
  std::unique_ptr<Transformer> model(new Transformer(std::move(checkpoint)));
  const Checkpoint& ckpt = model->checkpoint_;
  const ModelConfig& config = ckpt.config();
  const ArchitectureSpec& arch = *config.arch;
  // The architecture table's true-sequential groups must be the staged block's stages (once per
  // table, not per layer).
  for (const LinearSpec& spec : arch.linears)
    require(spec.sequential_group == block_stage_of(spec.role), std::string(arch.name),
            "linear '" + std::string(spec.name) + "' is in a true-sequential group other than its block stage");

  model->embedding_ = std::make_unique<DenseWeight>(ckpt.embedding());
  if (config.tie_word_embeddings) {
    model->lm_head_ = model->embedding_.get();
  } else {
    // Through the factory: a GPTQ checkpoint may carry a quantized lm_head (GPTQModel's
    // "lm_head": true; quantize --lm-head), stored untied as "<lm_head>.qweight" ...
    model->untied_lm_head_ = factory_weight(factory, ckpt, config.lm_head_prefix(), config.vocab_size, config.d_model);
    model->lm_head_ = model->untied_lm_head_.get();
  }
  for (int64_t l = 0; l < config.n_layers; ++l) {
    const std::string prefix = config.layer_prefix(l);
    Layer layer;
    layer.attn_norm = load_norm(ckpt, arch.norm, prefix + std::string(arch.attn_norm), config.d_model);
    layer.mlp_norm = load_norm(ckpt, arch.norm, prefix + std::string(arch.mlp_norm), config.d_model);
    if (!arch.q_norm.empty()) {
      layer.q_norm.weight = load_vector(ckpt, prefix + std::string(arch.q_norm) + ".weight", config.head_dim);
      layer.k_norm.weight = load_vector(ckpt, prefix + std::string(arch.k_norm) + ".weight", config.head_dim);
    }
    for (const LinearSpec& spec : arch.linears) {
      auto [out, in] = config.linear_shape(spec.role);
      const std::string linear_prefix = prefix + std::string(spec.name);
      Linear linear{spec.role, std::string(spec.name), factory_weight(factory, ckpt, linear_prefix, out, in), {}};
      if (config.linear_has_bias(spec.role)) linear.bias = load_vector(ckpt, linear_prefix + ".bias", out);
      layer.linears.push_back(std::move(linear));
    }
    model->layers_.push_back(std::move(layer));
  }
  model->final_norm_ = load_norm(ckpt, arch.norm, std::string(arch.final_norm), config.d_model);
  model->rotary_ = std::make_unique<RotaryEmbedding>(config);
  return model;
}

std::vector<float> Transformer::embed(std::span<const int32_t> tokens) const {
  const int64_t d = config().d_model;
  std::vector<float> hidden(tokens.size() * static_cast<size_t>(d));
  for (size_t t = 0; t < tokens.size(); ++t) {
    require(tokens[t] >= 0 && tokens[t] < config().vocab_size, "embed",
            "token id " + std::to_string(tokens[t]) + " at position " + std::to_string(t) + " is outside the vocabulary (" +
                std::to_string(config().vocab_size) + ")");
    embedding_->rows_to_f32(tokens[t], tokens[t] + 1, hidden.data() + t * static_cast<size_t>(d));
  }
  return hidden;
}

const Transformer::Linear& Transformer::find_linear(int64_t layer, LinearRole role) const {
  for (const auto& linear : layers_[static_cast<size_t>(layer)].linears)
    if (linear.role == role) return linear;
  throw Error("transformer", "layer has no linear of the requested role");
}

Transformer::Linear& Transformer::find_linear(int64_t layer, std::string_view name) {
  require(layer >= 0 && layer < config().n_layers, "transformer", "layer " + std::to_string(layer) + " out of range");
  for (auto& linear : layers_[static_cast<size_t>(layer)].linears)
    if (linear.name == name) return linear;
  throw Error("transformer", "layer " + std::to_string(layer) + " has no linear '" + std::string(name) + "'");
}

const WeightMatrix& Transformer::linear(int64_t layer, std::string_view name) const {
  return *const_cast<Transformer*>(this)->find_linear(layer, name).weight;
}

void Transformer::replace_linear(int64_t layer, std::string_view name, std::unique_ptr<WeightMatrix> weight) {
  Linear& linear = find_linear(layer, name);
  require(weight && weight->out_features() == linear.weight->out_features() &&
              weight->in_features() == linear.weight->in_features(),
          "replace_linear", "layer " + std::to_string(layer) + " '" + std::string(name) + "': shape mismatch");
  linear.weight = std::move(weight);
}

std::vector<std::vector<std::string>> Transformer::linear_groups() const {
  std::map<int, std::vector<std::string>> groups;
  for (const auto& spec : config().arch->linears) groups[spec.sequential_group].emplace_back(spec.name);
  std::vector<std::vector<std::string>> ordered;
  for (auto& [index, names] : groups) ordered.push_back(std::move(names));
  return ordered;
}

void Transformer::run_linear(int64_t layer, const Linear& linear, const float* x, int64_t rows, float* y,
                             LinearObserver* observer, Accumulate accumulate) const {
  if (observer) observer->observe(layer, linear.name, x, rows, linear.weight->in_features());
  linear_forward(*linear.weight, linear.bias.empty() ? nullptr : linear.bias.data(), x, rows, y, accumulate);
}

// The block's input h [n, d_model] (n = total_tokens(batch)) and
//   x0 = norm1(h)                                                     [n, d_model]
// (RMSNorm: x / rms(x) * w; LayerNorm: (x - mean) / std * w + b).
Transformer::BlockState Transformer::begin_block(int64_t layer, std::vector<float> hidden,
                                                 const SequenceBatch& batch) const {
  const ModelConfig& c = config();
  require(layer >= 0 && layer < c.n_layers, "forward_block", "layer " + std::to_string(layer) + " out of range");
  const int64_t n = total_tokens(batch), d = c.d_model;
  require(static_cast<int64_t>(hidden.size()) == n * d, "forward_block", "hidden size does not match the batch");
  BlockState state;
  state.hidden = std::move(hidden);
  state.input.resize(state.hidden.size());
  apply_norm(c.arch->norm, layers_[static_cast<size_t>(layer)].attn_norm, c.norm_eps, state.hidden.data(), n, d,
             state.input.data());
  return state;
}

// Stage 0, x0 [n, d_model] -> x1 [n, q_dim]:
//   q = x0·Wqᵀ [n, q_dim], k = x0·Wkᵀ, v = x0·Wvᵀ [n, kv_dim]   (GPT-NeoX: one fused matmul)
//   Qwen3: q, k = RMSNorm over each head's head_dim entries
//   q, k = rotary(q, k) at each token's position in its sequence
//   x1 = softmax(q·kᵀ / sqrt(head_dim) + causal mask)·v  per head (GQA: kv heads shared)
void Transformer::attention_stage(int64_t layer, BlockState& state, const SequenceBatch& batch,
                                  LinearObserver* observer) const {
  const ModelConfig& c = config();
  const float* x = state.input.data();
  const int64_t n = total_tokens(batch), q_dim = c.q_dim(), kv_dim = c.kv_dim(), hd = c.head_dim;
  // Written in full by the products below before any read: no zero fill.
  const auto q = std::make_unique_for_overwrite<float[]>(static_cast<size_t>(n * q_dim));
  const auto k = std::make_unique_for_overwrite<float[]>(static_cast<size_t>(n * kv_dim));
  const auto v = std::make_unique_for_overwrite<float[]>(static_cast<size_t>(n * kv_dim));
  if (c.arch->qkv_layout == QkvLayout::Separate) {
    run_linear(layer, find_linear(layer, LinearRole::Q), x, n, q.get(), observer);
    run_linear(layer, find_linear(layer, LinearRole::K), x, n, k.get(), observer);
    run_linear(layer, find_linear(layer, LinearRole::V), x, n, v.get(), observer);
  } else {
    // GPT-NeoX: fused rows viewed as [n_heads, 3, head_dim] (q, k, v of a head adjacent).
    const int64_t width = q_dim + 2 * kv_dim;
    const auto qkv = std::make_unique_for_overwrite<float[]>(static_cast<size_t>(n * width));
    run_linear(layer, find_linear(layer, LinearRole::QKV), x, n, qkv.get(), observer);
#pragma omp parallel for schedule(static) if (worth_parallel(n * width))
    for (int64_t t = 0; t < n; ++t)
      for (int64_t h = 0; h < c.n_heads; ++h) {
        const float* src = qkv.get() + t * width + h * 3 * hd;
        std::memcpy(q.get() + t * q_dim + h * hd, src, static_cast<size_t>(hd) * sizeof(float));
        std::memcpy(k.get() + t * kv_dim + h * hd, src + hd, static_cast<size_t>(hd) * sizeof(float));
        std::memcpy(v.get() + t * kv_dim + h * hd, src + 2 * hd, static_cast<size_t>(hd) * sizeof(float));
      }
  }
  const Layer& weights = layers_[static_cast<size_t>(layer)];
  if (!weights.q_norm.weight.empty()) {  // Qwen3: RMSNorm over each head's vector, before rotary
    apply_norm(NormKind::RMSNorm, weights.q_norm, c.norm_eps, q.get(), n * c.n_heads, hd, q.get());
    apply_norm(NormKind::RMSNorm, weights.k_norm, c.norm_eps, k.get(), n * c.n_kv_heads, hd, k.get());
  }
  std::vector<int64_t> positions(static_cast<size_t>(n));
  int64_t row = 0;
  for (const auto& span : batch) {
    const int64_t past = span.cache ? span.cache->length() : 0;
    for (int64_t t = 0; t < span.n_tokens; ++t) positions[static_cast<size_t>(row++)] = past + t;
  }
  rotary_->apply(q.get(), q_dim, c.n_heads, positions);
  rotary_->apply(k.get(), kv_dim, c.n_kv_heads, positions);
  state.input.resize(static_cast<size_t>(n * q_dim));  // every entry written by the attention
  causal_attention(c, layer, batch, q.get(), k.get(), v.get(), state.input.data());
}

// Stage 1, x1 [n, q_dim] -> x2 [n, d_model]; a = x1·Woᵀ (+ bias) [n, d_model]:
//   sequential (Llama, Qwen):  h += a;  x2 = norm2(h)
//   parallel (GPT-NeoX):       x2 = norm2(h);  h += a   (h + attn(ln1 h) + mlp(ln2 h): ln2
//                              reads the block's input, so x2 is taken before h changes)
void Transformer::attention_residual(int64_t layer, BlockState& state, int64_t rows, LinearObserver* observer) const {
  const ModelConfig& c = config();
  const int64_t d = c.d_model;
  std::vector<float>& hidden = state.hidden;
  const NormWeights& mlp_norm = layers_[static_cast<size_t>(layer)].mlp_norm;
  const Linear& o = find_linear(layer, LinearRole::O);
  if (c.arch->residual == ResidualStyle::Parallel) {
    std::vector<float> x2(hidden.size());
    apply_norm(c.arch->norm, mlp_norm, c.norm_eps, hidden.data(), rows, d, x2.data());
    run_linear(layer, o, state.input.data(), rows, hidden.data(), observer, Accumulate::Yes);
    state.input.swap(x2);
  } else {
    run_linear(layer, o, state.input.data(), rows, hidden.data(), observer, Accumulate::Yes);
    state.input.resize(hidden.size());
    apply_norm(c.arch->norm, mlp_norm, c.norm_eps, hidden.data(), rows, d, state.input.data());
  }
}

// Stage 2, x2 [n, d_model] -> x3 [n, d_ff]:
//   gated (Llama, Qwen):  x3 = act(x2·Wgateᵀ) ⊙ (x2·Wupᵀ)
//   plain (GPT-NeoX):     x3 = act(x2·Wupᵀ + b)    (Up is dense_h_to_4h)
void Transformer::mlp_stage(int64_t layer, BlockState& state, int64_t rows, LinearObserver* observer) const {
  const ModelConfig& c = config();
  std::vector<float> up(static_cast<size_t>(rows * c.d_ff));
  run_linear(layer, find_linear(layer, LinearRole::Up), state.input.data(), rows, up.data(), observer);
  if (c.arch->mlp == MlpKind::GatedSiLU) {
    const auto gate = std::make_unique_for_overwrite<float[]>(static_cast<size_t>(rows * c.d_ff));
    run_linear(layer, find_linear(layer, LinearRole::Gate), state.input.data(), rows, gate.get(), observer);
    gated_activation(c.activation, gate.get(), up.data(), rows * c.d_ff);
  } else {
    apply_activation(c.activation, up.data(), rows * c.d_ff);
  }
  state.input.swap(up);
}

// Stage 3, x3 [n, d_ff] -> the block's output: h += x3·Wdownᵀ (+ bias) [n, d_model] (the
// parallel residual's attention term is in h since stage 1). Nothing is left for a next stage.
void Transformer::mlp_residual(int64_t layer, BlockState& state, int64_t rows, LinearObserver* observer) const {
  run_linear(layer, find_linear(layer, LinearRole::Down), state.input.data(), rows, state.hidden.data(), observer,
             Accumulate::Yes);
  state.input = {};
}

// GPTQ's staged block: the same four functions, one per call, so a linear group can be quantized
// between its Hessian (its stage's input) and the stage that multiplies by it.
void Transformer::run_stage(int64_t layer, BlockState& state, const SequenceBatch& batch, LinearObserver* observer) const {
  require(state.next_stage >= 0 && state.next_stage < kBlockStages, "run_stage", "the block has no stage left");
  const int64_t n = total_tokens(batch);
  switch (state.next_stage) {
    case 0: attention_stage(layer, state, batch, observer); break;
    case 1: attention_residual(layer, state, n, observer); break;
    case 2: mlp_stage(layer, state, n, observer); break;
    default: mlp_residual(layer, state, n, observer);
  }
  ++state.next_stage;
}

// One decoder layer, the formula in four lines (stages above).
void Transformer::forward_block(int64_t layer, std::vector<float>& hidden, const SequenceBatch& batch,
                                LinearObserver* observer) const {
  const int64_t n = total_tokens(batch);
  BlockState state = begin_block(layer, std::move(hidden), batch);  // x0 = norm1(h)
  attention_stage(layer, state, batch, observer);                    // x1 = attention(x0)
  attention_residual(layer, state, n, observer);                     // h += x1·Woᵀ, x2 = norm2
  mlp_stage(layer, state, n, observer);                              // x3 = act(x2·Wgateᵀ) ⊙ x2·Wupᵀ
  mlp_residual(layer, state, n, observer);                           // h += x3·Wdownᵀ
  hidden = std::move(state.hidden);
}

void Transformer::finish(std::vector<float>& hidden, const SequenceBatch& batch) const {
  const ModelConfig& c = config();
  apply_norm(c.arch->norm, final_norm_, c.norm_eps, hidden.data(), total_tokens(batch), c.d_model, hidden.data());
  for (const auto& span : batch)
    if (span.cache && span.store) span.cache->commit(span.n_tokens);
}

std::vector<float> Transformer::forward(std::span<const int32_t> tokens, const SequenceBatch& batch,
                                        LinearObserver* observer) const {
  require(static_cast<int64_t>(tokens.size()) == total_tokens(batch), "forward",
          "token count does not match the batch layout");
  for (const auto& span : batch) {
    const int64_t end = (span.cache ? span.cache->length() : 0) + span.n_tokens;
    require(end <= config().max_position, "forward",
            "sequence of " + std::to_string(end) + " tokens exceeds max_position_embeddings (" +
                std::to_string(config().max_position) + ")");
  }
  std::vector<float> hidden = embed(tokens);
  if (observer != nullptr || total_tokens(batch) <= kForwardRunTokens) {
    for (int64_t layer = 0; layer < config().n_layers; ++layer) forward_block(layer, hidden, batch, observer);
  } else {
    // Sequences do not interact inside a block, so runs of whole sequences (up to
    // kForwardRunTokens tokens, at least one sequence) go through every layer one run at a time:
    // the activations (q/k/v, scores, the d_ff-wide MLP) are sized for a run, not the batch.
    const int64_t d = config().d_model;
    int64_t row0 = 0;
    for (size_t s0 = 0; s0 < batch.size();) {
      size_t s1 = s0;
      int64_t n = 0;
      while (s1 < batch.size() && (s1 == s0 || n + batch[s1].n_tokens <= kForwardRunTokens)) n += batch[s1++].n_tokens;
      const SequenceBatch run(batch.begin() + static_cast<std::ptrdiff_t>(s0), batch.begin() + static_cast<std::ptrdiff_t>(s1));
      std::vector<float> part(hidden.begin() + row0 * d, hidden.begin() + (row0 + n) * d);
      for (int64_t layer = 0; layer < config().n_layers; ++layer) forward_block(layer, part, run, nullptr);
      std::copy(part.begin(), part.end(), hidden.begin() + row0 * d);
      row0 += n;
      s0 = s1;
    }
  }
  finish(hidden, batch);
  return hidden;
}

void Transformer::logits(const float* normed_hidden, int64_t rows, float* out) const {
  linear_forward(*lm_head_, nullptr, normed_hidden, rows, out);
}

void Transformer::replace_lm_head(std::unique_ptr<WeightMatrix> weight) {
  require(weight && weight->out_features() == config().vocab_size && weight->in_features() == config().d_model,
          config().lm_head_prefix(), "replacement weight has the wrong shape");
  untied_lm_head_ = std::move(weight);
  lm_head_ = untied_lm_head_.get();
}

int64_t Transformer::weight_bytes() const {
  int64_t bytes = embedding_->stored_bytes() + (untied_lm_head_ ? untied_lm_head_->stored_bytes() : 0);
  for (const auto& layer : layers_) {
    for (const auto& linear : layer.linears) bytes += linear.weight->stored_bytes() + 4 * static_cast<int64_t>(linear.bias.size());
    bytes += 4 * static_cast<int64_t>(layer.attn_norm.weight.size() + layer.attn_norm.bias.size() +
                                      layer.mlp_norm.weight.size() + layer.mlp_norm.bias.size() +
                                      layer.q_norm.weight.size() + layer.k_norm.weight.size());
  }
  return bytes;
}

}  // namespace qs
