#include "sweep/point_result.h"

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace qs {

using nlohmann::json;

void to_json(json& j, const SweepPoint& p) {
  j = {{"id", p.id},   {"index", p.index},           {"model", p.model},
       {"model_path", p.model_path}, {"method", method_name(p.method)}, {"bits", p.bits},
       {"group_size", p.group_size}, {"calib_samples", p.calib_samples}, {"seed", p.seed}, {"eval_key", p.eval_key}};
}
void from_json(const json& j, SweepPoint& p) {
  j.at("id").get_to(p.id);
  j.at("index").get_to(p.index);
  j.at("model").get_to(p.model);
  j.at("model_path").get_to(p.model_path);
  const std::string method = j.at("method").get<std::string>();
  const std::optional<QuantMethod> parsed = parse_method(method);
  if (!parsed) throw json::other_error::create(501, "method '" + method + "' is not fp, gptq or rtn", &j);
  p.method = *parsed;
  j.at("bits").get_to(p.bits);
  j.at("group_size").get_to(p.group_size);
  j.at("calib_samples").get_to(p.calib_samples);
  j.at("seed").get_to(p.seed);
  j.at("eval_key").get_to(p.eval_key);
}
std::string status_name(PointStatus status) { return status == PointStatus::Ok ? "ok" : "failed"; }

// A status other than "ok" / "failed" in a result file is an error, never a silent default.
void to_json(json& j, PointStatus status) { j = status_name(status); }
void from_json(const json& j, PointStatus& status) {
  const std::string text = j.get<std::string>();
  if (text != "ok" && text != "failed") throw json::other_error::create(501, "status '" + text + "' is neither ok nor failed", &j);
  status = text == "ok" ? PointStatus::Ok : PointStatus::Failed;
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ModelFacts, name, path, architecture, n_params, n_params_nonembed, file_hash)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TaskMetric, task, stratum, metric, value, stderr_value, acc_rand, n_samples, primary)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LayerDiagnostic, layer, error, bits_per_weight)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(QuantDiagnostics, bits_per_weight, memory_bytes, layers)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PointResult, point, settings, status, error, model, metrics, quant, ppl, ppl_tokens,
                                   quantize_seconds, eval_seconds, ppl_seconds, total_seconds, started_at, finished_at,
                                   host, version, git_revision)

std::string to_json(const PointResult& result) {
  json j = result;
  j["format"] = "quantscale-point-result/1";
  return j.dump(1) + "\n";
}

PointResult point_result_from_json(const std::string& text, const std::string& origin) {
  try {
    json j = json::parse(text);
    if (j.value("format", "") != "quantscale-point-result/1")
      throw Error(origin, "not a quantscale point result (missing or unknown \"format\")");
    return j.get<PointResult>();
  } catch (const json::exception& e) {
    throw Error(origin, std::string("malformed point result: ") + e.what());
  }
}

std::string write_result_file(const std::string& dir, const PointResult& result) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/" + result.point.id + ".json";
  write_file_atomic(path, to_json(result));
  return path;
}

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
  return buffer;
}

}  // namespace qs
