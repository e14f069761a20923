// quantscale info MODEL: what a checkpoint is (architecture, shapes, parameter count N total and
// non-embedding, dtypes, bits per weight of GPTQ linears, file size, memory estimate).
// MODEL: a model folder, or a bare config.json (then only the config-derived lines).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "core/blas.h"
#include "core/cpu_dispatch.h"
#include "core/error.h"
#include "io/checkpoint.h"
#include "io/model_config.h"

namespace qs::cli {
namespace {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) bytes /= 1024, ++unit;
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.2f %s", bytes, units[unit]);
  return text;
}

std::string with_commas(int64_t value) {
  std::string digits = std::to_string(value), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Stored bits per weight over the linear layers of a checkpoint: dense `.weight` or GPTQ
// (`.qweight` + `.qzeros` + `.scales` + `.g_idx`, what the weights cost in memory).
struct LinearStorage {
  int64_t weights = 0;
  int64_t bytes = 0;
  int64_t gptq_linears = 0;
  int64_t dense_linears = 0;
  bool lm_head_gptq = false;  // quantize --lm-head / GPTQModel's lm_head=True
};

LinearStorage linear_storage(const Checkpoint& checkpoint) {
  const ModelConfig& config = checkpoint.config();
  LinearStorage storage;
  for (int64_t layer = 0; layer < config.n_layers; ++layer)
    for (const auto& spec : config.arch->linears) {
      const std::string prefix = config.layer_prefix(layer) + std::string(spec.name);
      auto [out, in] = config.linear_shape(spec.role);
      storage.weights += out * in;
      if (checkpoint.find(prefix + ".qweight")) {
        ++storage.gptq_linears;
        for (const char* part : {".qweight", ".qzeros", ".scales", ".g_idx"})
          if (const TensorView* t = checkpoint.find(prefix + part)) storage.bytes += static_cast<int64_t>(t->n_bytes);
      } else if (const TensorView* t = checkpoint.find(prefix + ".weight")) {
        ++storage.dense_linears;
        storage.bytes += static_cast<int64_t>(t->n_bytes);
      }
    }
  storage.lm_head_gptq = checkpoint.find(config.lm_head_prefix() + ".qweight") != nullptr;
  return storage;
}

std::string storage_note(const nlohmann::json& out) {
  if (out.value("gptq_linears", 0) == 0) return "";
  std::string note = " (GPTQ-packed: " + std::to_string(out["gptq_linears"].get<int64_t>()) + " linears";
  if (out.contains("quantization_config")) {
    const auto& q = out["quantization_config"];
    if (q.contains("bits")) note += ", bits " + q["bits"].dump();
    if (q.contains("group_size")) note += ", group_size " + q["group_size"].dump();
    if (q.contains("desc_act")) note += ", desc_act " + q["desc_act"].dump();
  }
  if (out.value("lm_head_quantized", false)) note += "; the lm_head GPTQ-packed too";
  return note + "; scales and zeros included)";
}

int run_info(const std::string& model, bool as_json, int64_t ctx) {
  const bool is_dir = std::filesystem::is_directory(model);
  const ModelConfig config = load_model_config(model);
  const ParameterCount params = config.parameter_count();
  nlohmann::json out = {{"model", model},
                        {"architecture", config.architecture},
                        {"layers", config.n_layers},
                        {"hidden_size", config.d_model},
                        {"attention_heads", config.n_heads},
                        {"kv_heads", config.n_kv_heads},
                        {"head_dim", config.head_dim},
                        {"intermediate_size", config.d_ff},
                        {"vocab_size", config.vocab_size},
                        {"max_position_embeddings", config.max_position},
                        {"tied_embeddings", config.tie_word_embeddings},
                        {"parameters_total", params.total},
                        {"parameters_non_embedding", params.non_embedding},
                        {"torch_dtype", config.torch_dtype}};
  // KV cache: keys and values of every layer, fp32.
  const int64_t kv_bytes_per_token = config.n_layers * 2 * config.kv_dim() * 4;
  out["kv_cache_bytes_per_token"] = kv_bytes_per_token;
  if (!config.quantization_config_json.empty())
    out["quantization_config"] = nlohmann::json::parse(config.quantization_config_json);
  if (is_dir && (std::filesystem::exists(model + "/model.safetensors") ||
                 std::filesystem::exists(model + "/model.safetensors.index.json"))) {
    const Checkpoint checkpoint = Checkpoint::open(model, config);  // config.json parsed once
    const LinearStorage storage = linear_storage(checkpoint);
    out["dtypes"] = checkpoint.dtypes();
    out["file_bytes"] = checkpoint.file_bytes();
    out["linear_bits_per_weight"] = storage.weights ? 8.0 * static_cast<double>(storage.bytes) / static_cast<double>(storage.weights) : 0.0;
    out["gptq_linears"] = storage.gptq_linears;
    out["lm_head_quantized"] = storage.lm_head_gptq;
    // Resident set for a forward at `ctx` tokens: the mapped weights (page cache), the KV cache,
    // one layer's activations (hidden, norm, residual branches, q/k/v, MLP) and one logits chunk.
    const int64_t activations =
        4 * ctx * (4 * config.d_model + 3 * config.d_ff + 2 * (config.q_dim() + 2 * config.kv_dim()) + 128) +
        std::min<int64_t>(4 * ctx * config.vocab_size, int64_t{256} << 20);
    out["resident_estimate_bytes"] = checkpoint.file_bytes() + kv_bytes_per_token * ctx + activations;
    out["resident_estimate_ctx"] = ctx;
  }
  if (as_json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("model            %s\n", model.c_str());
  std::printf("architecture     %s\n", config.architecture.c_str());
  std::printf("layers           %lld\n", static_cast<long long>(config.n_layers));
  std::printf("hidden           %lld (intermediate %lld)\n", static_cast<long long>(config.d_model),
              static_cast<long long>(config.d_ff));
  std::printf("heads            %lld query, %lld key/value, head_dim %lld\n", static_cast<long long>(config.n_heads),
              static_cast<long long>(config.n_kv_heads), static_cast<long long>(config.head_dim));
  std::printf("vocab            %lld%s\n", static_cast<long long>(config.vocab_size),
              config.tie_word_embeddings ? " (tied input/output embedding)" : "");
  std::printf("parameters       %s total, %s non-embedding\n", with_commas(params.total).c_str(),
              with_commas(params.non_embedding).c_str());
  if (out.contains("file_bytes")) {
    std::string dtypes;
    for (const auto& d : out["dtypes"]) dtypes += (dtypes.empty() ? "" : ", ") + d.get<std::string>();
    std::printf("dtypes           %s\n", dtypes.c_str());
    std::printf("linear weights   %.2f bits/weight%s\n", out["linear_bits_per_weight"].get<double>(),
                storage_note(out).c_str());
    std::printf("file size        %s\n", human_bytes(static_cast<double>(out["file_bytes"].get<int64_t>())).c_str());
    std::printf("memory estimate  %s resident at %lld tokens of context (weights mapped at stored precision)\n",
                human_bytes(static_cast<double>(out["resident_estimate_bytes"].get<int64_t>())).c_str(),
                static_cast<long long>(ctx));
  } else {
    std::printf("dtype            %s (config only: no weights read)\n", config.torch_dtype.c_str());
  }
  std::printf("kv cache         %s per token\n", human_bytes(static_cast<double>(kv_bytes_per_token)).c_str());
  return 0;
}

// `info --cpu`: what runs the kernels here (core/cpu_dispatch.h) and what BLAS chose.
void print_cpu(bool as_json) {
  const std::vector<std::string> supported = supported_cpu_targets();
  const char* cap = std::getenv("QS_CPU");
  if (as_json) {
    std::printf("%s\n", nlohmann::json{{"kernels", cpu_target()},
                                       {"highway_target", cpu_target_detail()},
                                       {"qs_cpu", cap ? cap : ""},
                                       {"supported", supported},
                                       {"blas", blas::describe()}}
                             .dump()
                             .c_str());
    return;
  }
  std::string list;
  for (const std::string& name : supported) list += (list.empty() ? "" : " ") + name;
  std::printf("kernels          %s (Highway %s; QS_CPU=%s)\n", cpu_target().c_str(), cpu_target_detail().c_str(),
              cap ? cap : "unset");
  std::printf("supported        %s\n", list.c_str());
  std::printf("blas             %s\n", blas::describe().c_str());
}

}  // namespace
}  // namespace qs::cli

namespace qs::cli {
namespace {
const CommandRegistration info_registration{
    {"info", "architecture, parameter count (total / non-embedding), dtypes, file and memory size of a model",
     [](CLI::App& sub) -> std::function<int()> {
       auto model = std::make_shared<std::string>();
       auto as_json = std::make_shared<bool>(false);
       auto ctx = std::make_shared<int64_t>(2048);
       auto cpu = std::make_shared<bool>(false);
       sub.add_option("MODEL", *model, "model folder (config.json + safetensors) or a config.json");
       sub.add_flag("--json", *as_json, "machine-readable output");
       sub.add_option("--ctx", *ctx, "context length for the memory estimate")->check(CLI::PositiveNumber);
       sub.add_flag("--cpu", *cpu, "the kernel target this CPU runs (QS_CPU caps it), those it supports, the BLAS core");
       return [=] {
         require(*cpu || !model->empty(), "info", "give a MODEL folder or config.json, or --cpu");
         if (*cpu) print_cpu(*as_json);
         return model->empty() ? 0 : run_info(*model, *as_json, *ctx);
       };
     }}};
}  // namespace
}  // namespace qs::cli
