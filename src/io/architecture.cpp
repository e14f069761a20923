#include "io/architecture.h"

namespace qs {
namespace {

// Llama, Qwen2 and Qwen3 share the layout of Hugging Face's LlamaModel (modeling_llama.py).
std::vector<LinearSpec> llama_linears() {
  return {{LinearRole::Q, "self_attn.q_proj", 0},  {LinearRole::K, "self_attn.k_proj", 0},
          {LinearRole::V, "self_attn.v_proj", 0},  {LinearRole::O, "self_attn.o_proj", 1},
          {LinearRole::Gate, "mlp.gate_proj", 2},  {LinearRole::Up, "mlp.up_proj", 2},
          {LinearRole::Down, "mlp.down_proj", 3}};
}

ArchitectureSpec llama_like(std::string_view name, BiasRule qkv_bias, BiasRule o_bias, BiasRule mlp_bias,
                            std::string_view q_norm, std::string_view k_norm) {
  return ArchitectureSpec{.name = name,
                          .layer_prefix = "model.layers.",
                          .embed = "model.embed_tokens.weight",
                          .lm_head = "lm_head.weight",
                          .final_norm = "model.norm",
                          .attn_norm = "input_layernorm",
                          .mlp_norm = "post_attention_layernorm",
                          .q_norm = q_norm,
                          .k_norm = k_norm,
                          .norm = NormKind::RMSNorm,
                          .mlp = MlpKind::GatedSiLU,
                          .residual = ResidualStyle::Sequential,
                          .qkv_layout = QkvLayout::Separate,
                          .linears = llama_linears(),
                          .qkv_bias = qkv_bias,
                          .o_bias = o_bias,
                          .mlp_bias = mlp_bias,
                          .eps_key = "rms_norm_eps",
                          .rope_theta_key = "rope_theta",
                          .default_rotary_fraction = 1.0,
                          .default_tie = false,
                          .default_activation = "silu"};
}

std::vector<ArchitectureSpec> make_table() {
  std::vector<ArchitectureSpec> table;
  // LlamaConfig: attention_bias covers q,k,v,o; mlp_bias covers gate,up,down.
  table.push_back(llama_like("LlamaForCausalLM", {"attention_bias", false}, {"attention_bias", false},
                             {"mlp_bias", false}, "", ""));
  // Qwen2Attention: q,k,v always have a bias, o_proj never.
  table.push_back(llama_like("Qwen2ForCausalLM", {"", true}, {"", false}, {"", false}, "", ""));
  // Qwen3Attention: attention_bias for q,k,v,o; q_norm/k_norm RMSNorm over head_dim.
  table.push_back(llama_like("Qwen3ForCausalLM", {"attention_bias", false}, {"attention_bias", false},
                             {"", false}, "self_attn.q_norm", "self_attn.k_norm"));
  // GPT-NeoX (Pythia): modeling_gpt_neox.py.
  table.push_back(ArchitectureSpec{
      .name = "GPTNeoXForCausalLM",
      .layer_prefix = "gpt_neox.layers.",
      .embed = "gpt_neox.embed_in.weight",
      .lm_head = "embed_out.weight",
      .final_norm = "gpt_neox.final_layer_norm",
      .attn_norm = "input_layernorm",
      .mlp_norm = "post_attention_layernorm",
      .q_norm = "",
      .k_norm = "",
      .norm = NormKind::LayerNorm,
      .mlp = MlpKind::Plain,
      .residual = ResidualStyle::Parallel,
      .qkv_layout = QkvLayout::FusedPerHead,
      .linears = {{LinearRole::QKV, "attention.query_key_value", 0},
                  {LinearRole::O, "attention.dense", 1},
                  {LinearRole::Up, "mlp.dense_h_to_4h", 2},
                  {LinearRole::Down, "mlp.dense_4h_to_h", 3}},
      .qkv_bias = {"attention_bias", true},
      .o_bias = {"attention_bias", true},
      .mlp_bias = {"", true},
      .eps_key = "layer_norm_eps",
      .rope_theta_key = "rotary_emb_base",
      .default_rotary_fraction = 0.25,
      .default_tie = false,
      .default_activation = "gelu"});
  return table;
}

}  // namespace

const std::vector<ArchitectureSpec>& supported_architectures() {
  static const std::vector<ArchitectureSpec> table = make_table();
  return table;
}

const ArchitectureSpec* find_architecture(std::string_view name) {
  for (const auto& spec : supported_architectures())
    if (spec.name == name) return &spec;
  return nullptr;
}

std::string supported_architecture_names() {
  std::string names;
  for (const auto& spec : supported_architectures()) names += (names.empty() ? "" : ", ") + std::string(spec.name);
  return names;
}

}  // namespace qs
