#include "quant/gptq_export.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <span>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/version.h"
#include "io/safetensors.h"

namespace qs {
namespace {

namespace fs = std::filesystem;

nlohmann::ordered_json quantization_config(const GptqExportConfig& c, bool with_method) {
  nlohmann::ordered_json q;
  q["bits"] = c.bits;
  q["group_size"] = c.group_size;
  q["damp_percent"] = c.damp_percent;
  q["desc_act"] = c.desc_act;
  q["sym"] = c.sym;
  q["true_sequential"] = c.true_sequential;
  q["model_name_or_path"] = nullptr;
  q["model_file_base_name"] = "model";
  q["static_groups"] = c.static_groups;
  q["checkpoint_format"] = "gptq";
  if (with_method) q["quant_method"] = "gptq";
  nlohmann::ordered_json meta;
  meta["quantizer"] = {"quantscale:" + std::string(quantscale_version())};
  meta["method"] = c.method;
  // Every option of the run, including those the published keys above do not carry.
  meta["bits"] = c.bits;
  meta["group_size"] = c.group_size;
  meta["sym"] = c.sym;
  meta["mse"] = c.mse;
  meta["mse_norm"] = c.mse ? nlohmann::ordered_json(c.mse_norm) : nullptr;
  meta["mse_grid"] = c.mse ? nlohmann::ordered_json(c.mse_grid) : nullptr;
  meta["mse_maxshrink"] = c.mse ? nlohmann::ordered_json(c.mse_maxshrink) : nullptr;
  meta["act_order"] = c.desc_act;
  meta["static_groups"] = c.static_groups;
  meta["true_sequential"] = c.true_sequential;
  meta["damp_percent"] = c.damp_percent;
  nlohmann::ordered_json damp_used = nlohmann::ordered_json::object();
  for (const auto& [linear, damp] : c.damp_used) damp_used[linear] = damp;
  meta["damp_used"] = c.damp_used.empty() ? nlohmann::ordered_json(nullptr) : damp_used;
  const bool calibrated = c.calib_samples > 0;
  meta["calib_samples"] = calibrated ? nlohmann::ordered_json(c.calib_samples) : nullptr;
  meta["seq_len"] = calibrated ? nlohmann::ordered_json(c.seq_len) : nullptr;
  meta["seed"] = calibrated ? nlohmann::ordered_json(c.seed) : nullptr;
  meta["calib_file"] = calibrated ? nlohmann::ordered_json(c.calib_file) : nullptr;
  q["meta"] = meta;
  return q;
}

template <typename T>
TensorToWrite packed_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape, const std::vector<T>& values) {
  auto bytes = std::span(reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(T));
  return tensor_from_bytes(name, dtype, std::move(shape), bytes);
}

void write_folder(const Checkpoint& source, const std::vector<ExportedLinear>& linears,
                  const GptqExportConfig& config, const std::string& dir) {
  std::map<std::string, const GptqTensors*> replaced;  // "<prefix>.weight" -> packed tensors
  for (const auto& linear : linears) replaced[linear.prefix + ".weight"] = linear.tensors;

  std::vector<TensorToWrite> tensors;
  for (const auto& name : source.tensor_names()) {
    auto it = replaced.find(name);
    if (it == replaced.end()) {
      const TensorView& view = source.get(name);
      tensors.push_back(tensor_from_bytes(name, view.dtype, view.shape, std::span(view.data, view.n_bytes)));
      continue;
    }
    const GptqTensors& t = *it->second;
    const std::string prefix = name.substr(0, name.size() - std::string(".weight").size());
    const int64_t groups = t.n_groups();
    tensors.push_back(packed_tensor(prefix + ".qweight", DType::I32, {t.in_features / 32 * t.bits, t.out_features}, t.qweight));
    tensors.push_back(packed_tensor(prefix + ".qzeros", DType::I32,
                                    {groups, static_cast<int64_t>(t.qzeros.size()) / groups}, t.qzeros));
    tensors.push_back(packed_tensor(prefix + ".scales", DType::F16, {groups, t.out_features}, t.scales));
    tensors.push_back(packed_tensor(prefix + ".g_idx", DType::I32, {t.in_features}, t.g_idx));
    replaced.erase(it);
  }
  require(replaced.empty(), source.dir(),
          "quantized linear '" + (replaced.empty() ? std::string() : replaced.begin()->first) +
              "' is not a tensor of the source checkpoint");
  write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}, {"quantized_by", "quantscale"}});

  const std::string source_config = source.dir() + "/config.json";
  auto json = nlohmann::ordered_json::parse(read_file(source_config), nullptr, false);
  require(!json.is_discarded() && json.is_object(), source_config, "not a JSON object");
  // The scales are fp16; vLLM's non-Marlin gptq kernel refuses bf16 activations (gptq.py,
  // get_supported_act_dtypes), so a bf16 source would need `--dtype float16` on every `vllm serve`.
  json["torch_dtype"] = "float16";
  if (json.contains("dtype")) json["dtype"] = "float16";  // the key Transformers >= 4.56 writes
  json["quantization_config"] = quantization_config(config, true);
  write_file_atomic(dir + "/config.json", json.dump(2) + "\n");
  write_file_atomic(dir + "/quantize_config.json", quantization_config(config, false).dump(2) + "\n");
  for (const auto& entry : fs::directory_iterator(source.dir())) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && is_side_file(name)) fs::copy_file(entry.path(), fs::path(dir) / name);
  }
}

}  // namespace

bool is_side_file(const std::string& name) {
  static const char* const kNames[] = {"special_tokens_map.json", "added_tokens.json", "vocab.json", "vocab.txt",
                                       "merges.txt", "generation_config.json", "chat_template.json",
                                       "preprocessor_config.json", "processor_config.json"};
  for (const char* known : kNames)
    if (name == known) return true;
  return name.starts_with("tokenizer") || name.ends_with(".jinja") || name.ends_with(".py") ||
         name.ends_with(".tiktoken") || name.ends_with(".model");
}

std::string gptq_quantization_config_json(const GptqExportConfig& config, bool with_method) {
  return quantization_config(config, with_method).dump(2);
}

void export_gptq_checkpoint(const Checkpoint& source, const std::vector<ExportedLinear>& linears,
                            const GptqExportConfig& config, const std::string& out_dir) {
  require(!out_dir.empty(), "export", "empty output folder name");
  const fs::path out = fs::absolute(fs::path(out_dir)).lexically_normal();
  const std::string temp = out.string() + ".tmp." + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(temp, ec);
  fs::create_directories(temp, ec);
  require(!ec, temp, "cannot create folder: " + ec.message());
  try {
    write_folder(source, linears, config, temp);
    if (fs::exists(out)) {
      const std::string old = out.string() + ".old.tmp." + std::to_string(::getpid());
      fs::rename(out, old);
      fs::rename(temp, out);
      fs::remove_all(old);
    } else {
      fs::rename(temp, out);
    }
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(temp, ec);
    throw Error(out.string(), std::string("cannot write the checkpoint: ") + e.what());
  } catch (...) {
    fs::remove_all(temp, ec);
    throw;
  }
}

}  // namespace qs
