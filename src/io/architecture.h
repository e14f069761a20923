#pragma once
// Decoder architectures as data (one table row per Hugging Face `architectures` name): tensor
// names, norm type, MLP shape, residual style, QKV layout, which config keys switch biases on.
// The forward pass and the loader read these tables; nothing branches on the architecture name.
#include <string>
#include <string_view>
#include <vector>

namespace qs {

enum class NormKind { RMSNorm, LayerNorm };      // RMSNorm: x/rms(x)*w; LayerNorm: (x-mean)/std*w+b
enum class MlpKind { GatedSiLU, Plain };          // down(act(gate(x)) * up(x))  |  out(act(in(x)))
enum class ResidualStyle { Sequential, Parallel };  // x+=attn(ln1 x); x+=mlp(ln2 x) | x+=attn(ln1 x)+mlp(ln2 x)
enum class QkvLayout { Separate, FusedPerHead };  // q,k,v projections | NeoX [heads, 3, head_dim] rows

// The role a linear layer plays; shapes follow from the role and the config.
enum class LinearRole { Q, K, V, QKV, O, Gate, Up, Down };

// A bias switched by a config key (empty key: always `default_on`).
struct BiasRule {
  std::string_view config_key;
  bool default_on = false;
};

struct LinearSpec {
  LinearRole role;
  std::string_view name;  // relative to the layer prefix: "self_attn.q_proj"
  int sequential_group;   // GPTQ true-sequential group: [q,k,v] 0, [o] 1, [gate,up] 2, [down] 3
};

struct ArchitectureSpec {
  std::string_view name;          // "LlamaForCausalLM"
  std::string_view layer_prefix;  // "model.layers." (+ index + ".")
  std::string_view embed;         // input embedding weight
  std::string_view lm_head;       // output projection weight (may alias embed when tied)
  std::string_view final_norm;    // prefix; ".weight" (+ ".bias" for LayerNorm)
  std::string_view attn_norm;     // per layer, relative to the layer prefix
  std::string_view mlp_norm;
  std::string_view q_norm;        // per-head RMSNorm on q and k before rotary (Qwen3); empty if none
  std::string_view k_norm;
  NormKind norm;
  MlpKind mlp;
  ResidualStyle residual;
  QkvLayout qkv_layout;
  std::vector<LinearSpec> linears;  // in forward order
  BiasRule qkv_bias, o_bias, mlp_bias;
  std::string_view eps_key;             // "rms_norm_eps" | "layer_norm_eps"
  std::string_view rope_theta_key;      // "rope_theta" (also accepted for NeoX) | "rotary_emb_base"
  double default_rotary_fraction = 1.0;  // NeoX config default rotary_pct = 0.25
  bool default_tie = false;
  std::string_view default_activation;  // when hidden_act is absent
};

// The table of supported architectures, and a lookup by name (nullptr when unknown).
const std::vector<ArchitectureSpec>& supported_architectures();
const ArchitectureSpec* find_architecture(std::string_view name);
std::string supported_architecture_names();  // "LlamaForCausalLM, ..." for error messages

}  // namespace qs
