#include "quant/gptq_export.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
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
  q["lm_head"] = c.lm_head;  // GPTQModel's key; vLLM's GPTQConfig reads it (lm_head_quantized)
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
  meta["lm_head"] = c.lm_head;
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

// The four GPTQ tensors of one linear, under `prefix` (gptq_weight.h).
void append_packed(std::vector<TensorToWrite>& tensors, const std::string& prefix, const GptqTensors& t) {
  const int64_t groups = t.n_groups();
  tensors.push_back(packed_tensor(prefix + ".qweight", DType::I32, {t.in_features / 32 * t.bits, t.out_features}, t.qweight));
  tensors.push_back(packed_tensor(prefix + ".qzeros", DType::I32,
                                  {groups, static_cast<int64_t>(t.qzeros.size()) / groups}, t.qzeros));
  tensors.push_back(packed_tensor(prefix + ".scales", DType::F16, {groups, t.out_features}, t.scales));
  tensors.push_back(packed_tensor(prefix + ".g_idx", DType::I32, {t.in_features}, t.g_idx));
}

void write_folder(const Checkpoint& source, const std::vector<ExportedLinear>& linears,
                  const GptqExportConfig& config, const std::string& dir) {
  std::map<std::string, const GptqTensors*> replaced;  // "<prefix>.weight" -> packed tensors
  for (const auto& linear : linears) replaced[linear.prefix + ".weight"] = linear.tensors;
  // A quantized lm_head of a tied model: the embedding keeps the dense matrix (under whichever
  // name the source stores it) and the packed lm_head is added beside it, untied.
  const std::string lm_head(source.config().arch->lm_head);
  const bool untie = source.config().tie_word_embeddings && replaced.count(lm_head) > 0;

  std::vector<TensorToWrite> tensors;
  for (const auto& name : source.tensor_names()) {
    auto it = replaced.find(name);
    if (it == replaced.end() || (untie && name == lm_head)) {
      const TensorView& view = source.get(name);
      tensors.push_back(tensor_from_bytes(name, view.dtype, view.shape, std::span(view.data, view.n_bytes)));
      continue;
    }
    append_packed(tensors, name.substr(0, name.size() - std::string(".weight").size()), *it->second);
    replaced.erase(it);
  }
  if (untie) {
    append_packed(tensors, source.config().lm_head_prefix(), *replaced[lm_head]);
    replaced.erase(lm_head);
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
  if (untie) json["tie_word_embeddings"] = false;
  json["quantization_config"] = quantization_config(config, true);
  write_file_atomic(dir + "/config.json", json.dump(2) + "\n");
  write_file_atomic(dir + "/quantize_config.json", quantization_config(config, false).dump(2) + "\n");
  for (const auto& entry : fs::directory_iterator(source.dir())) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && is_side_file(name)) fs::copy_file(entry.path(), fs::path(dir) / name);
  }
  write_file_atomic(dir + "/" + kExportMarker,
                    "GPTQ checkpoint written by quantscale " + std::string(quantscale_version()) +
                        "; `quantize --overwrite` may replace this folder\n");
}

// True when `inner` is `outer` or lies below it (both canonical).
bool is_within(const fs::path& inner, const fs::path& outer) {
  auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return o == outer.end();
}

// A new empty folder "<out>.<what>.XXXXXX" beside `out` (mkdtemp: never an existing path).
std::string unique_sibling(const fs::path& out, const char* what) {
  std::string name = out.string() + "." + what + ".XXXXXX";
  if (::mkdtemp(name.data()) == nullptr)
    throw Error(out.string(), std::string("cannot create a temporary folder beside it: ") + std::strerror(errno));
  return name;
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

void check_export_target(const std::string& source_dir, const std::string& out_dir, bool overwrite) {
  require(!out_dir.empty(), "export", "empty output folder name");
  std::error_code ec;
  const fs::path out = fs::weakly_canonical(fs::absolute(fs::path(out_dir)), ec);
  require(!ec, out_dir, "cannot resolve the output folder: " + ec.message());
  const fs::path source = fs::weakly_canonical(fs::absolute(fs::path(source_dir)), ec);
  require(!ec, source_dir, "cannot resolve the model folder: " + ec.message());
  if (is_within(out, source))
    throw Error(out_dir, out == source ? "is the source model folder; refusing to replace it"
                                       : "lies inside the source model folder " + source.string() + "; choose another --out");
  if (is_within(source, out))
    throw Error(out_dir, "contains the source model folder " + source.string() + "; refusing to replace it");
  const fs::file_status status = fs::symlink_status(fs::path(out_dir));
  if (!fs::exists(status)) return;
  require(!fs::is_symlink(status), out_dir, "is a symbolic link; refusing to replace it (give the folder itself)");
  require(fs::is_directory(status), out_dir, "exists and is not a folder; refusing to replace it");
  if (fs::is_empty(out, ec) && !ec) return;
  require(overwrite, out_dir, "exists and is not empty; pass --overwrite to replace a folder quantscale wrote");
  require(fs::exists(out / kExportMarker), out_dir,
          std::string("was not written by quantscale (no ") + kExportMarker + " file); refusing to replace it");
}

void export_gptq_checkpoint(const Checkpoint& source, const std::vector<ExportedLinear>& linears,
                            const GptqExportConfig& config, const std::string& out_dir, bool overwrite) {
  check_export_target(source.dir(), out_dir, overwrite);
  const fs::path out = fs::absolute(fs::path(out_dir)).lexically_normal();
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  require(!ec, out.parent_path().string(), "cannot create folder: " + ec.message());
  const std::string temp = unique_sibling(out, "tmp");
  try {
    write_folder(source, linears, config, temp);
    if (fs::exists(out)) {
      // Checked again just before the swap: the folder may have changed while we quantized.
      check_export_target(source.dir(), out_dir, overwrite);
      const std::string old = unique_sibling(out, "old.tmp");  // rename() replaces an empty folder
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
