#pragma once
// The decoder-only transformer of every supported architecture (io/architecture.h tables):
//   hidden = embed(tokens)
//   for each layer:  forward_block(layer, hidden, batch)       (norms, attention, MLP, residual)
//   logits = lm_head(final_norm(hidden))
// over a batch of sequences with KV caches (model/sequence_batch.h). Weights stay in the
// checkpoint's mapping at source precision.
//
// Hooks for GPTQ (quant/):
//   - Transformer::load(dir, factory): build linears from GPTQ tensors (model/weight_factory.h).
//   - embed() then forward_block() layer by layer, with a LinearObserver that receives the fp32
//     input of every linear of the block just before its matmul.
//   - linear_groups(): the block's linears in true-sequential order ([q,k,v], [o], [gate,up],
//     [down]; NeoX [query_key_value], [dense], [dense_h_to_4h], [dense_4h_to_h]).
//   - replace_linear(): swap in a quantized weight; later forward_block() calls use it, so a
//     block can be re-run with any subset of its linears already replaced.
//   - begin_block() / run_stage(): the same block in stages (attention_stage,
//     attention_residual, mlp_stage, mlp_residual: the functions forward_block calls in a
//     straight line), one per linear group, so that a group can be quantized between two stages
//     and the next stage multiplies by its new weights (true-sequential GPTQ in one pass).
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/checkpoint.h"
#include "model/layer_ops.h"
#include "model/linear.h"
#include "model/sequence_batch.h"
#include "model/weight_factory.h"
#include "model/weight_matrix.h"

namespace qs {

class LinearObserver {
 public:
  virtual ~LinearObserver() = default;
  // x: [rows = tokens of the batch, cols = in_features] row-major, the input of linear `name`
  // ("self_attn.q_proj") of `layer`, about to be multiplied. Valid only during the call.
  virtual void observe(int64_t layer, std::string_view name, const float* x, int64_t rows, int64_t cols) = 0;
};

class Transformer {
 public:
  // Loads dir/config.json and its safetensors; checks every tensor's presence, shape and
  // finiteness (qs::Error naming file and tensor). `factory` builds each linear's weight
  // (default: dense).
  static std::unique_ptr<Transformer> load(const std::string& dir, const WeightFactory& factory = dense_weight_factory);
  // The same from a checkpoint already opened (io/model_folder.h: ModelFolder::take_checkpoint).
  static std::unique_ptr<Transformer> load(Checkpoint checkpoint, const WeightFactory& factory = dense_weight_factory);

  const ModelConfig& config() const { return checkpoint_.config(); }
  const Checkpoint& checkpoint() const { return checkpoint_; }

  // hidden [tokens.size(), d_model] = embedding rows; a token id outside the vocabulary throws.
  std::vector<float> embed(std::span<const int32_t> tokens) const;
  // One decoder layer over hidden [total_tokens(batch), d_model], in place.
  void forward_block(int64_t layer, std::vector<float>& hidden, const SequenceBatch& batch,
                     LinearObserver* observer = nullptr) const;
  // Final norm in place, then commit every span's new tokens to its cache (call once per batch).
  void finish(std::vector<float>& hidden, const SequenceBatch& batch) const;
  // All of the above: tokens (concatenated spans) -> final-normed hidden [n, d_model]. Without
  // an observer, a batch of more than kForwardRunTokens tokens goes through the layers in runs of
  // whole sequences (same results, activation memory of one run).
  static constexpr int64_t kForwardRunTokens = 512;
  std::vector<float> forward(std::span<const int32_t> tokens, const SequenceBatch& batch,
                             LinearObserver* observer = nullptr) const;
  // logits [rows, vocab] = normed_hidden [rows, d_model] · lm_headᵀ.
  void logits(const float* normed_hidden, int64_t rows, float* out) const;

  // Linear names of a block (relative to the layer prefix) grouped for true-sequential GPTQ;
  // group g is what stage g of the staged block multiplies by.
  std::vector<std::vector<std::string>> linear_groups() const;

  // A decoder block in kBlockStages stages; stage g reads state.input (what every linear of
  // linear_groups()[g] multiplies) and leaves the next stage's input there (n = tokens):
  //   begin:   x0 = norm1(h)                                                      [n, d_model]
  //   stage 0: q, k, v = x0·Wqᵀ, x0·Wkᵀ, x0·Wvᵀ (q/k norms, rotary); x1 = attention(q, k, v)  [n, q_dim]
  //   stage 1: a = x1·Woᵀ; sequential: h += a, x2 = norm2(h); parallel: x2 = norm2(h), h += a  [n, d_model]
  //   stage 2: x3 = act(x2·Wgateᵀ) ⊙ x2·Wupᵀ  (plain MLP: act(x2·Wupᵀ))            [n, d_ff]
  //   stage 3: m = x3·Wdownᵀ; h += m                                          (state.input empty)
  // After stage 3, state.hidden is the block's output: the stages are forward_block, in pieces.
  static constexpr int kBlockStages = 4;
  struct BlockState {
    std::vector<float> hidden;    // the residual stream h [n, d_model]
    std::vector<float> input;     // the next stage's input x_g [n, width]
    int next_stage = 0;           // kBlockStages: the block is done
  };
  // Takes the block's input `hidden` [total_tokens(batch), d_model].
  BlockState begin_block(int64_t layer, std::vector<float> hidden, const SequenceBatch& batch) const;
  // Runs state.next_stage (an error after the last); linears report to `observer` as in forward_block.
  void run_stage(int64_t layer, BlockState& state, const SequenceBatch& batch, LinearObserver* observer = nullptr) const;
  const WeightMatrix& linear(int64_t layer, std::string_view name) const;
  // Replaces a linear's weight (same shape, else qs::Error). The bias stays.
  void replace_linear(int64_t layer, std::string_view name, std::unique_ptr<WeightMatrix> weight);

  const WeightMatrix& embedding() const { return *embedding_; }
  const WeightMatrix& lm_head() const { return *lm_head_; }
  // Replaces the output projection (same shape, else qs::Error); a tied one becomes untied: the
  // embedding keeps its weights (quantize --lm-head).
  void replace_lm_head(std::unique_ptr<WeightMatrix> weight);
  bool lm_head_untied() const { return untied_lm_head_ != nullptr; }
  // Bytes resident for weights (the stored formats), not counting activations or caches.
  int64_t weight_bytes() const;

 private:
  struct Linear {
    LinearRole role;
    std::string name;
    std::unique_ptr<WeightMatrix> weight;
    std::vector<float> bias;  // empty: none
  };
  struct Layer {
    NormWeights attn_norm, mlp_norm;
    NormWeights q_norm, k_norm;  // empty weight: none
    std::vector<Linear> linears;
  };

  explicit Transformer(Checkpoint checkpoint) : checkpoint_(std::move(checkpoint)) {}
  const Linear& find_linear(int64_t layer, LinearRole role) const;
  Linear& find_linear(int64_t layer, std::string_view name);
  void run_linear(int64_t layer, const Linear& linear, const float* x, int64_t rows, float* y,
                  LinearObserver* observer, Accumulate accumulate = Accumulate::No) const;
  // The block's stages (formulas and shapes in transformer.cpp); forward_block calls them in
  // a straight line, run_stage one at a time.
  void attention_stage(int64_t layer, BlockState& state, const SequenceBatch& batch, LinearObserver* observer) const;
  void attention_residual(int64_t layer, BlockState& state, int64_t rows, LinearObserver* observer) const;
  void mlp_stage(int64_t layer, BlockState& state, int64_t rows, LinearObserver* observer) const;
  void mlp_residual(int64_t layer, BlockState& state, int64_t rows, LinearObserver* observer) const;

  Checkpoint checkpoint_;
  std::unique_ptr<WeightMatrix> embedding_;
  std::unique_ptr<WeightMatrix> untied_lm_head_;
  const WeightMatrix* lm_head_ = nullptr;
  std::vector<Layer> layers_;
  NormWeights final_norm_;
  std::unique_ptr<RotaryEmbedding> rotary_;
};

}  // namespace qs
