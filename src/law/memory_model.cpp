#include "law/memory_model.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

namespace qs::law {
namespace {

// Splits "6.5GiB" into 6.5 and "gib" (lower case); throws when there is no number.
std::pair<double, std::string> number_and_unit(const std::string& text, const std::string& option) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  require(end != text.c_str() && std::isfinite(value) && value > 0, option, "expected a positive number, got '" + text + "'");
  std::string unit;
  for (const char* c = end; *c; ++c)
    if (!std::isspace(static_cast<unsigned char>(*c))) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
  return {value, unit};
}

}  // namespace

double quantized_model_bytes(const MemoryModel& model, int bits, int group_size) {
  double g = group_size > 0 ? group_size : model.in_features;
  double bits_per_weight = bits + (16.0 + bits) / g;
  return model.quantized_params * bits_per_weight / 8 + (model.n_params - model.quantized_params) * model.source_bytes;
}

MemoryModel memory_model_for(const LawStudy& fit, double n_params, double nonembed) {
  MemoryModel m;
  m.n_params = n_params;
  if (nonembed > 0) {
    require(nonembed <= n_params, "--nonembed-params", "cannot exceed --params");
    m.quantized_params = nonembed;
    m.split_source = "given (--nonembed-params)";
    return m;
  }
  const ModelInfo* nearest = nullptr;
  double best = INFINITY;
  for (const auto& model : fit.models) {
    if (!(model.n_params > 0 && model.n_params_nonembed > 0)) continue;
    double distance = std::fabs(std::log(model.n_params / n_params));
    if (distance < best) {
      best = distance;
      nearest = &model;
    }
  }
  if (nearest == nullptr) {
    m.quantized_params = n_params;
    m.split_source = "no non-embedding counts in the fit: every parameter taken as quantized";
    return m;
  }
  double fraction = nearest->n_params_nonembed / nearest->n_params;
  // Two fitted models of the same size with different splits (a tied-embedding Qwen3 beside a
  // Llama of the same N): which one the user means cannot be guessed.
  for (const auto& model : fit.models) {
    if (&model == nearest || !(model.n_params > 0 && model.n_params_nonembed > 0)) continue;
    double other = model.n_params_nonembed / model.n_params;
    require(!(std::fabs(std::log(model.n_params / nearest->n_params)) < 0.01 && std::fabs(other - fraction) > 0.005),
            "--nonembed-params",
            "fitted models " + nearest->name + " and " + model.name +
                " have this N but different non-embedding fractions (" + std::to_string(fraction) + " vs " +
                std::to_string(other) + "): pass --nonembed-params");
  }
  m.quantized_params = fraction * n_params;
  char buffer[200];
  std::snprintf(buffer, sizeof buffer, "non-embedding fraction %.3f of %s%s", fraction, nearest->name.c_str(),
                best < 0.01 ? "" : " (nearest fitted model; pass --nonembed-params for the exact split)");
  m.split_source = buffer;
  return m;
}

double parse_bytes(const std::string& text, const std::string& option) {
  auto [value, unit] = number_and_unit(text, option);
  if (unit.empty() || unit == "b") return value;
  if (unit == "kib") return value * 1024.0;
  if (unit == "mib") return value * 1024.0 * 1024;
  if (unit == "gib") return value * 1024.0 * 1024 * 1024;
  if (unit == "tib") return value * 1024.0 * 1024 * 1024 * 1024;
  if (unit == "kb") return value * 1e3;
  if (unit == "mb") return value * 1e6;
  if (unit == "gb") return value * 1e9;
  if (unit == "tb") return value * 1e12;
  throw Error(option, "unknown unit '" + unit + "' in '" + text + "' (use B, KiB, MiB, GiB, KB, MB, GB)");
}

double parse_count(const std::string& text, const std::string& option) {
  auto [value, unit] = number_and_unit(text, option);
  if (unit.empty()) return value;
  if (unit == "k") return value * 1e3;
  if (unit == "m") return value * 1e6;
  if (unit == "b" || unit == "g") return value * 1e9;
  if (unit == "t") return value * 1e12;
  throw Error(option, "unknown suffix '" + unit + "' in '" + text + "' (use K, M, B or plain numbers like 8e9)");
}

std::string format_bytes(double bytes) {
  char buffer[32];
  if (bytes >= 1024.0 * 1024 * 1024) std::snprintf(buffer, sizeof buffer, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  else std::snprintf(buffer, sizeof buffer, "%.1f MiB", bytes / (1024.0 * 1024));
  return buffer;
}

}  // namespace qs::law
