#include "quant/model_loader.h"

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "quant/gptq_weight.h"

namespace qs {
namespace {

GptqFormat parse_format(const nlohmann::json& q, const std::string& where) {
  GptqFormat f;
  f.source = where;
  const std::string method = q.value("quant_method", std::string("gptq"));
  require(method == "gptq", where, "quant_method '" + method + "' is not supported (only gptq)");
  require(q.contains("bits") && q["bits"].is_number_integer(), where, "quantization_config has no integer 'bits'");
  f.bits = q["bits"].get<int>();
  require(f.bits == 2 || f.bits == 3 || f.bits == 4 || f.bits == 8, where,
          "unsupported GPTQ bits " + std::to_string(f.bits));
  f.group_size = q.value("group_size", -1);
  f.desc_act = q.value("desc_act", false);
  f.sym = q.value("sym", false);
  f.static_groups = q.value("static_groups", false);
  const std::string format = q.value("checkpoint_format", std::string("gptq"));
  require(format == "gptq" || format == "gptq_v2", where,
          "checkpoint_format '" + format + "' is not supported (gptq or gptq_v2)");
  f.zero_offset = format == "gptq" ? 1 : 0;
  return f;
}

template <typename T>
std::vector<T> copy_tensor(const TensorView& view, DType dtype, const std::vector<int64_t>& shape) {
  require(view.dtype == dtype, view.file,
          "tensor '" + view.name + "' has dtype " + std::string(dtype_name(view.dtype)) + ", expected " +
              std::string(dtype_name(dtype)));
  require(view.shape == shape, view.file, "tensor '" + view.name + "' has shape " + view.shape_string() + ", expected " + [&] {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }());
  std::vector<T> values(view.n_bytes / sizeof(T));
  std::memcpy(values.data(), view.data, values.size() * sizeof(T));
  return values;
}

}  // namespace

std::optional<GptqFormat> gptq_format_of(const std::string& dir) {
  const std::string config_path = dir + "/config.json";
  if (std::filesystem::exists(config_path)) {
    auto config = nlohmann::json::parse(read_file(config_path), nullptr, false);
    require(!config.is_discarded() && config.is_object(), config_path, "not a JSON object");
    auto q = config.find("quantization_config");
    if (q != config.end() && !q->is_null()) {
      require(q->is_object(), config_path, "quantization_config is not an object");
      return parse_format(*q, config_path);
    }
  }
  const std::string legacy = dir + "/quantize_config.json";
  if (!std::filesystem::exists(legacy)) return std::nullopt;
  auto q = nlohmann::json::parse(read_file(legacy), nullptr, false);
  require(!q.is_discarded() && q.is_object(), legacy, "not a JSON object");
  return parse_format(q, legacy);
}

WeightFactory gptq_weight_factory(const GptqFormat& format) {
  return [format](const Checkpoint& checkpoint, const std::string& prefix, int64_t out,
                  int64_t in) -> std::unique_ptr<WeightMatrix> {
    const TensorView* qweight = checkpoint.find(prefix + ".qweight");
    if (qweight == nullptr) return dense_weight_factory(checkpoint, prefix, out, in);
    require(in % 32 == 0, qweight->file, "'" + prefix + "': in_features " + std::to_string(in) + " is not a multiple of 32");
    const int bits = format.bits;
    const int64_t groups = format.group_size > 0 ? (in + format.group_size - 1) / format.group_size : 1;
    GptqTensors t;
    t.bits = bits;
    t.group_size = format.group_size;
    t.out_features = out;
    t.in_features = in;
    t.qweight = copy_tensor<int32_t>(*qweight, DType::I32, {in / 32 * bits, out});
    // AutoGPTQ sizes qzeros out / 32 * bits, we write ceil(out / 32) * bits: equal for out % 32 == 0.
    t.qzeros = copy_tensor<int32_t>(checkpoint.get(prefix + ".qzeros"), DType::I32, {groups, (out + 31) / 32 * bits});
    t.scales = copy_tensor<uint16_t>(checkpoint.get(prefix + ".scales"), DType::F16, {groups, out});
    if (const TensorView* g_idx = checkpoint.find(prefix + ".g_idx")) {
      t.g_idx = copy_tensor<int32_t>(*g_idx, DType::I32, {in});
    } else {  // early AutoGPTQ checkpoints without act-order stored no g_idx
      t.g_idx = sequential_g_idx(in, format.group_size > 0 ? format.group_size : static_cast<int>(in));
    }
    t.zero_offset = format.zero_offset;
    return std::make_unique<GptqWeight>(std::move(t), qweight->file + ": " + prefix);
  };
}

std::unique_ptr<Transformer> load_model(const std::string& dir) {
  auto format = gptq_format_of(dir);
  if (!format) return Transformer::load(dir);
  return Transformer::load(dir, gptq_weight_factory(*format));
}

}  // namespace qs
