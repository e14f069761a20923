#pragma once
// A Hugging Face checkpoint folder: config.json plus model.safetensors, or shards listed in
// model.safetensors.index.json ({"weight_map": {tensor: file}}). Tensors are zero-copy views of
// the mapped files.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/model_config.h"
#include "io/safetensors.h"

namespace qs {

class Checkpoint {
 public:
  // Opens dir/config.json and the safetensors file(s). Throws qs::Error naming the file, and
  // naming the tensors of layers >= num_hidden_layers when config.json has fewer layers than
  // the weights (they would be silently unused).
  static Checkpoint open(const std::string& dir);
  // The same with config.json already parsed (io/model_folder.h reads it once).
  static Checkpoint open(const std::string& dir, ModelConfig config);

  const ModelConfig& config() const { return config_; }
  const std::string& dir() const { return dir_; }
  const TensorView* find(const std::string& name) const;  // nullptr when absent
  // The tensor, checked against `shape` (empty: any shape); throws naming file and tensor.
  const TensorView& get(const std::string& name, const std::vector<int64_t>& shape = {}) const;
  // The tied/untied output projection: lm_head (or embed when tied and lm_head is absent), and
  // the input embedding (or lm_head when only that name is stored, as some fp32 exports do).
  const TensorView& embedding() const;
  const TensorView& output_projection() const;
  std::vector<std::string> tensor_names() const;
  int64_t file_bytes() const;  // sum of the safetensors file sizes
  std::vector<std::string> dtypes() const;  // distinct dtypes present ("BF16", ...)
  std::vector<const SafetensorsFile*> files() const;  // in the order opened (shards sorted by name)

 private:
  void require_no_layers_past_config() const;

  std::string dir_;
  ModelConfig config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::unordered_map<std::string, const TensorView*> index_;
};

}  // namespace qs
