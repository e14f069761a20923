#pragma once
// Memory of a quantized model (DESIGN.md): per quantized weight B bits plus, per group of G
// weights, an fp16 scale and a B-bit zero point; tensors that stay unquantized (embeddings,
// lm_head) at source precision:
//   bytes = Nq · (B + (16 + B)/G) / 8 + (N − Nq) · source_bytes
// Nq = the non-embedding parameter count (all of it is taken to live in quantized linear
// layers; norms and biases are < 0.1% of it). Per-channel (G = −1) uses G = in_features.
#include <string>
#include <vector>

#include "law/law_study.h"

namespace qs::law {

struct MemoryModel {
  double n_params = 0;           // N, total
  double quantized_params = 0;   // Nq, non-embedding
  double source_bytes = 2;       // bf16/fp16 checkpoints
  int in_features = 4096;        // for per-channel scales (G = −1)
  std::string split_source;      // how Nq was obtained (for the user)
};

double quantized_model_bytes(const MemoryModel& model, int bits, int group_size);

// Nq for a model of `n_params`: `nonembed` when given (> 0); else the non-embedding fraction
// of the fitted model with the same N (±1%), else of the nearest fitted model in ln N; else
// Nq = N (stated). `split_source` says which.
MemoryModel memory_model_for(const LawStudy& fit, double n_params, double nonembed);

// "6GiB", "6.5GB", "512MiB", "6e9" (bytes) -> bytes; throws qs::Error naming `option`.
double parse_bytes(const std::string& text, const std::string& option);
// "8e9", "8B", "600M", "1.7b" -> count; throws qs::Error naming `option`.
double parse_count(const std::string& text, const std::string& option);
// 6442450944 -> "6.00 GiB".
std::string format_bytes(double bytes);

}  // namespace qs::law
