#pragma once
// How a linear layer's weight is built from a checkpoint: the hook that lets other stages
// supply their own WeightMatrix (quant/ adds GPTQ-packed weights read from `.qweight`,
// `.qzeros`, `.scales`, `.g_idx`).
//
//   auto gptq = [](const Checkpoint& ckpt, const std::string& prefix, int64_t out, int64_t in)
//       -> std::unique_ptr<WeightMatrix> {
//     if (ckpt.find(prefix + ".qweight")) return make_gptq_weight(ckpt, prefix, out, in);
//     return dense_weight_factory(ckpt, prefix, out, in);
//   };
//   auto model = Transformer::load(dir, gptq);
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "io/checkpoint.h"
#include "model/weight_matrix.h"

namespace qs {

// prefix: the linear's tensor-name prefix ("model.layers.3.self_attn.q_proj"); out, in: the
// shape config.json implies. Must return a matrix of exactly that shape or throw qs::Error
// naming the file and tensor. Biases (prefix + ".bias") are loaded by the model, not here.
using WeightFactory = std::function<std::unique_ptr<WeightMatrix>(const Checkpoint& checkpoint,
                                                                  const std::string& prefix, int64_t out,
                                                                  int64_t in)>;

// The default: prefix + ".weight" as a DenseWeight (F32 zero-copy, BF16/F16 widened per tile).
std::unique_ptr<WeightMatrix> dense_weight_factory(const Checkpoint& checkpoint, const std::string& prefix,
                                                   int64_t out, int64_t in);

}  // namespace qs
