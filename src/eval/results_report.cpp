// EvalResults as lm-eval's results file (results, groups, configs, versions, n-shot,
// higher_is_better, n-samples, config) plus the stratum summary, and as terminal tables.
#include <cstdio>
#include <ctime>

#include "core/version.h"
#include "eval/evaluator.h"

namespace qs {
namespace {

using nlohmann::json;

json metrics_json(const TaskResult& task) {
  json out = {{"alias", task.name}};
  for (const auto& metric : task.metrics) {
    size_t comma = metric.key.find(',');
    std::string stderr_key = metric.key.substr(0, comma) + "_stderr" + metric.key.substr(comma);
    out[metric.key] = metric.value;
    out[stderr_key] = metric.stderr_value ? json(*metric.stderr_value) : json("N/A");
  }
  return out;
}

bool higher_is_better(const std::string& key) {
  return key.find("perplexity") == std::string::npos && key.rfind("bits_per_byte", 0) != 0;
}

std::string format_number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4f", value);
  return buffer;
}

}  // namespace

json EvalResults::to_json() const {
  json out;
  json& results = out["results"];
  results = json::object();
  for (const auto& task : tasks) {
    json entry = metrics_json(task);
    results[task.name] = entry;
    if (!task.subtasks.empty()) {
      out["groups"][task.name] = entry;
      for (const auto& sub : task.subtasks) {
        results[sub.name] = metrics_json(sub);
        out["group_subtasks"][task.name].push_back(sub.name);
      }
    }
    out["configs"][task.name] = task.config;
    out["versions"][task.name] = task.version;
    out["n-shot"][task.name] = task.num_fewshot;
    for (const auto& metric : task.metrics) out["higher_is_better"][task.name][metric.key.substr(0, metric.key.find(','))] = higher_is_better(metric.key);
    out["n-samples"][task.name] = {{"original", task.n_docs_available}, {"effective", task.n_docs}};
    json& quality = out["quantscale"]["tasks"][task.name];
    quality = {{"stratum", task.stratum}, {"chance", task.chance}, {"primary_metric", task.primary_metric},
               {"acc", task.acc}, {"acc_stderr", task.acc_stderr ? json(*task.acc_stderr) : json(nullptr)},
               {"requests", task.n_requests}, {"truncated_requests", task.truncated_requests},
               {"empty_continuations", {{"count", task.empty_continuations}, {"doc_ids", task.empty_continuation_docs}}},
               {"rows_read", task.load_report.rows_read}, {"rows_skipped", task.load_report.rows_skipped},
               {"skipped_rows", task.load_report.skipped}, {"seconds", task.seconds}};
    if (task.limit_requested && *task.limit_requested > task.n_docs)
      quality["limit_note"] = "--limit " + std::to_string(*task.limit_requested) + " exceeds the split; all " +
                              std::to_string(task.n_docs) + " documents evaluated";
    if (!task.samples.is_null()) out["samples"][task.name] = task.samples;
  }
  for (const auto& stratum : strata)
    out["strata"][stratum.stratum] = {{"tasks", stratum.tasks},       {"acc", stratum.acc},
                                      {"acc_stderr", stratum.acc_stderr}, {"acc_rand", stratum.acc_rand},
                                      {"acc_adj", stratum.acc_adj},     {"acc_adj_stderr", stratum.acc_adj_stderr}};
  out["config"] = config;
  out["git_hash"] = std::string(git_revision());
  out["date"] = static_cast<double>(std::time(nullptr));
  out["total_evaluation_time_seconds"] = std::to_string(seconds);
  return out;
}

std::string EvalResults::table() const {
  std::string out = "|     Tasks      |Version|     Filter     |n-shot|   Metric    |   | Value  |   |Stderr|\n"
                    "|----------------|------:|----------------|-----:|-------------|---|-------:|---|-----:|\n";
  char line[512];
  for (const auto& task : tasks)
    for (const auto& metric : task.metrics) {
      size_t comma = metric.key.find(',');
      std::snprintf(line, sizeof line, "|%-16s|%7.1f|%-16s|%6d|%-13s|%s|%8s|±  |%6s|\n", task.name.c_str(), task.version,
                    metric.key.substr(comma + 1).c_str(), task.num_fewshot, metric.key.substr(0, comma).c_str(),
                    higher_is_better(metric.key) ? "↑  " : "↓  ", format_number(metric.value).c_str(),
                    metric.stderr_value ? format_number(*metric.stderr_value).c_str() : "N/A");
      out += line;
    }
  out += "\n| Stratum | Tasks | Acc    | ± SE   | Acc_rand | Acc_adj | ± SE   |\n"
         "|---------|------:|-------:|-------:|---------:|--------:|-------:|\n";
  for (const auto& s : strata) {
    std::snprintf(line, sizeof line, "| %-7s | %5zu | %s | %s | %8.4f | %7.4f | %s |\n", s.stratum.c_str(), s.tasks.size(),
                  format_number(s.acc).c_str(), format_number(s.acc_stderr).c_str(), s.acc_rand, s.acc_adj,
                  format_number(s.acc_adj_stderr).c_str());
    out += line;
  }
  for (const auto& task : tasks) {
    if (task.empty_continuations > 0) {
      std::snprintf(line, sizeof line, "note: %s: %lld requests with an empty continuation (scored 0, greedy; see results JSON)\n",
                    task.name.c_str(), static_cast<long long>(task.empty_continuations));
      out += line;
    }
    if (task.load_report.rows_skipped > 0) {
      std::snprintf(line, sizeof line, "note: %s: %lld malformed rows skipped\n", task.name.c_str(), static_cast<long long>(task.load_report.rows_skipped));
      out += line;
    }
    if (task.truncated_requests > 0) {
      std::snprintf(line, sizeof line, "note: %s: %lld contexts cut on the left to fit the model's context\n", task.name.c_str(),
                    static_cast<long long>(task.truncated_requests));
      out += line;
    }
    if (task.limit_requested && *task.limit_requested > task.n_docs && task.subtasks.empty()) {
      std::snprintf(line, sizeof line, "note: %s: --limit %lld exceeds the split; all %lld documents evaluated\n", task.name.c_str(),
                    static_cast<long long>(*task.limit_requested), static_cast<long long>(task.n_docs));
      out += line;
    }
  }
  return out;
}

}  // namespace qs
