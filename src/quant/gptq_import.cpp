#include "quant/gptq_import.h"

#include <cstring>

#include "core/error.h"
#include "quant/gptq_weight.h"

namespace qs {
namespace {

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

std::unique_ptr<Transformer> load_model(const std::string& dir) { return load_model(ModelFolder::open(dir)); }

std::unique_ptr<Transformer> load_model(ModelFolder folder) {
  const std::optional<GptqFormat> format = folder.gptq();
  Checkpoint checkpoint = std::move(folder).take_checkpoint();
  if (!format) return Transformer::load(std::move(checkpoint));
  return Transformer::load(std::move(checkpoint), gptq_weight_factory(*format));
}

}  // namespace qs
