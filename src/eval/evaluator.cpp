#include "eval/evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/stage_timer.h"
#include "core/shared_paths.h"
#include "eval/statistics.h"
#include "eval/task_registry.h"
#include "eval/task_runner.h"
#include "eval/text_util.h"

namespace qs {
namespace {

nlohmann::json task_config_json(const TaskSpec& spec, int shots) {
  nlohmann::json filters = nlohmann::json::array();
  for (const auto& pipeline : spec.filters) filters.push_back(pipeline.name);
  nlohmann::json config = {{"task", spec.name}, {"lm_eval_task", spec.lm_eval_task}, {"format", spec.format},
                           {"eval_file", spec.eval_file}, {"fewshot_file", spec.fewshot_file},
                           {"output_type", output_type_name(spec.output_type)}, {"description", spec.description},
                           {"target_delimiter", spec.target_delimiter}, {"fewshot_delimiter", spec.fewshot_delimiter},
                           {"fewshot_sampler", spec.sampler == SamplerKind::FirstN ? "first_n" : "default"},
                           {"num_fewshot", shots}, {"metric_list", spec.metrics}, {"primary_metric", spec.primary_metric},
                           {"chance", spec.chance}, {"stratum", spec.stratum}};
  if (spec.output_type == OutputType::GenerateUntil) {
    config["generation_kwargs"] = {{"until", spec.until}, {"max_gen_toks", spec.max_gen_toks}, {"do_sample", false}};
    config["filter_list"] = filters;
  }
  return config;
}

// Per-document metric values -> aggregated metrics with lm-eval's standard errors.
std::vector<MetricResult> aggregate(const std::map<std::string, std::vector<double>>& per_doc, int bootstrap_iters) {
  std::vector<MetricResult> metrics;
  for (const auto& [key, values] : per_doc) {
    MetricResult metric;
    metric.key = key;
    if (key.rfind("perplexity,", 0) == 0) {
      metric.value = stats::perplexity(values);
      metric.stderr_value = stats::bootstrap_stderr(stats::perplexity, values, bootstrap_iters);
    } else {
      metric.value = stats::mean(values);
      metric.stderr_value = stats::mean_stderr(values);
    }
    metrics.push_back(metric);
  }
  return metrics;
}

// Rolling perplexities are ratios of sums (lm-eval: weighted_perplexity, bits_per_byte; no stderr).
void add_rolling_metrics(const TaskSpec& spec, const std::vector<const Doc*>& docs, const TaskRun& run, std::vector<MetricResult>& out) {
  double loglikelihood = 0, words = 0, bytes = 0;
  for (size_t d = 0; d < docs.size(); ++d) {
    loglikelihood += run.outcomes[d].scores.at(0).logprob;
    words += static_cast<double>(text::split(docs[d]->text, ' ').size());
    bytes += static_cast<double>(docs[d]->text.size());
  }
  for (const auto& metric : spec.metrics) {
    if (metric == "word_perplexity") out.push_back({"word_perplexity,none", std::exp(-loglikelihood / words), std::nullopt});
    if (metric == "byte_perplexity") out.push_back({"byte_perplexity,none", std::exp(-loglikelihood / bytes), std::nullopt});
    if (metric == "bits_per_byte") out.push_back({"bits_per_byte,none", -loglikelihood / bytes / std::log(2.0), std::nullopt});
  }
}

std::map<std::string, double> score_doc(const TaskSpec& spec, const Doc& doc, const DocOutcome& outcome) {
  std::map<std::string, double> values;
  switch (spec.output_type) {
    case OutputType::MultipleChoice:
      for (const auto& [key, value] : score_multiple_choice(spec, doc, outcome.scores)) values[key + ",none"] = value;
      break;
    case OutputType::Loglikelihood:
      for (const auto& metric : spec.metrics) {
        if (metric == "perplexity") values["perplexity,none"] = outcome.scores.at(0).logprob;
        if (metric == "acc") values["acc,none"] = outcome.scores.at(0).is_greedy ? 1.0 : 0.0;
      }
      break;
    case OutputType::GenerateUntil:
      values = score_generation(spec, doc, outcome.generation);
      break;
    case OutputType::LoglikelihoodRolling:
      break;
  }
  return values;
}

// Acc_rand of a multiple-choice task stated without `chance`: mean over the documents of
// 1 / (number of choices), which is 1/n when every document has n choices.
double chance_of_choices(const std::vector<const Doc*>& docs) {
  double sum = 0;
  for (const Doc* doc : docs) sum += 1.0 / static_cast<double>(std::max<size_t>(1, doc->choices.size()));
  return docs.empty() ? 0.0 : sum / static_cast<double>(docs.size());
}

// Log-probabilities were checked per request (task_runner); a metric can still overflow (a
// word perplexity exp(-Σ log p / words) past 1e308): an error naming it, never "inf" stored.
void require_finite_metrics(const TaskResult& result) {
  for (const auto& metric : result.metrics)
    require(std::isfinite(metric.value), "task '" + result.name + "'",
            "metric '" + metric.key + "' is not finite (" + std::to_string(metric.value) + ")");
  for (const auto& sub : result.subtasks) require_finite_metrics(sub);
}

void set_primary(TaskResult& result) {
  for (const auto& metric : result.metrics)
    if (metric.key == result.primary_metric) {
      result.acc = metric.value;
      result.acc_stderr = metric.stderr_value;
      return;
    }
  throw Error("task '" + result.name + "'", "primary metric '" + result.primary_metric + "' is not among its metrics");
}

TaskResult evaluate_task(LanguageModel& model, const TaskSpec& spec, const EvalOptions& options, const std::string& data_dir) {
  auto start = StageTimer::now();
  TaskResult result;
  result.name = spec.name;
  result.stratum = spec.stratum;
  result.chance = spec.chance;
  result.version = spec.version;
  result.output_type = output_type_name(spec.output_type);
  result.primary_metric = spec.primary_metric;
  result.limit_requested = options.limit;
  TaskData data = load_task_data(spec, data_dir, options.row_policy);
  result.load_report = data.report;
  result.num_fewshot = options.shots.value_or(spec.default_shots);
  result.config = task_config_json(spec, result.num_fewshot);
  PreparedRequests prepared =
      prepare_requests(spec, data.docs, data.pool(), data.pool_is_eval_split(), result.num_fewshot, options.limit, options.seed);
  const std::vector<const Doc*>& selected = prepared.docs;
  const auto& requests = prepared.requests;
  if (spec.chance_from_choices) {
    result.chance = chance_of_choices(selected);
    result.config["chance"] = result.chance;
  }
  result.n_docs_available = static_cast<int64_t>(data.docs.size());
  result.n_docs = static_cast<int64_t>(selected.size());

  TaskRun run = run_requests(model, spec, selected, requests, {options.add_bos, options.batch_size, options.progress, options.log_samples});
  result.n_requests = run.n_requests;
  result.truncated_requests = run.truncated_requests;
  result.empty_continuation_docs = run.empty_continuation_docs;
  result.empty_continuations = static_cast<int64_t>(run.empty_continuation_docs.size());

  std::map<std::string, std::map<std::string, std::vector<double>>> by_group;  // group -> metric -> values
  std::map<std::string, std::vector<double>> all;
  if (options.log_samples) result.samples = nlohmann::json::array();
  for (size_t d = 0; d < selected.size(); ++d) {
    auto values = score_doc(spec, *selected[d], run.outcomes[d]);
    for (const auto& [key, value] : values) {
      all[key].push_back(value);
      if (!selected[d]->group.empty()) by_group[selected[d]->group][key].push_back(value);
    }
    if (options.log_samples) {
      nlohmann::json sample = run.outcomes[d].sample;
      sample["doc_id"] = selected[d]->id;
      if (!selected[d]->group.empty()) sample["group"] = selected[d]->group;
      sample["gold"] = selected[d]->gold;
      sample["metrics"] = values;
      result.samples.push_back(sample);
    }
  }
  result.metrics = aggregate(all, options.bootstrap_iters);
  if (spec.output_type == OutputType::LoglikelihoodRolling) add_rolling_metrics(spec, selected, run, result.metrics);
  // Groups (MMLU): lm-eval reports each subtask, and the group's value as the size-weighted
  // mean (= mean over all documents) with the pooled sample standard error.
  for (const auto& [group, values] : by_group) {
    TaskResult sub;
    sub.name = spec.name + "_" + group;
    sub.stratum = spec.stratum;
    sub.chance = result.chance;
    sub.version = spec.version;
    sub.num_fewshot = result.num_fewshot;
    sub.primary_metric = spec.primary_metric;
    sub.output_type = result.output_type;
    sub.metrics = aggregate(values, options.bootstrap_iters);
    sub.n_docs = static_cast<int64_t>(values.begin()->second.size());
    set_primary(sub);
    result.subtasks.push_back(sub);
  }
  if (!result.subtasks.empty())
    for (auto& metric : result.metrics) {
      std::vector<double> stderrs;
      std::vector<int64_t> sizes;
      for (const auto& sub : result.subtasks)
        for (const auto& m : sub.metrics)
          if (m.key == metric.key && m.stderr_value) {
            stderrs.push_back(*m.stderr_value);
            sizes.push_back(sub.n_docs);
          }
      if (stderrs.size() == result.subtasks.size() && !stderrs.empty()) metric.stderr_value = stats::pooled_sample_stderr(stderrs, sizes);
    }
  set_primary(result);
  require_finite_metrics(result);
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace

std::vector<StratumResult> summarize_strata(const std::vector<TaskResult>& tasks) {
  std::vector<StratumResult> strata;
  std::map<std::string, size_t> index;
  for (const auto& task : tasks) {
    if (!index.count(task.stratum)) {
      index[task.stratum] = strata.size();
      strata.push_back({task.stratum, {}, 0, 0, 0, 0, 0});
    }
    strata[index[task.stratum]].tasks.push_back(task.name);
  }
  // Acc_adj = (Acc - Acc_rand) / (1 - Acc_rand) per task, averaged over the stratum's tasks;
  // tasks are independent samples, so SE(mean) = sqrt(sum SE_i^2) / n.
  for (auto& stratum : strata) {
    double n = static_cast<double>(stratum.tasks.size());
    double var = 0, var_adj = 0;
    for (const auto& task : tasks) {
      if (task.stratum != stratum.stratum) continue;
      double se = task.acc_stderr.value_or(0.0), scale = 1.0 - task.chance;
      stratum.acc += task.acc / n;
      stratum.acc_rand += task.chance / n;
      stratum.acc_adj += (task.acc - task.chance) / scale / n;
      var += se * se;
      var_adj += (se / scale) * (se / scale);
    }
    stratum.acc_stderr = std::sqrt(var) / n;
    stratum.acc_adj_stderr = std::sqrt(var_adj) / n;
  }
  return strata;
}

EvalResults run_evaluation(LanguageModel& model, const EvalOptions& options) {
  auto start = StageTimer::now();
  require(options.batch_size >= 1, "--batch-size", "must be at least 1");
  require(!options.shots || *options.shots >= 0, "--shots", "must be non-negative");
  require(!options.limit || *options.limit >= 1, "--limit", "must be at least 1");
  TaskRegistry registry = TaskRegistry::builtin();
  if (!options.task_config.empty()) registry.load_config(options.task_config);
  std::vector<std::string> names = registry.resolve(options.tasks);
  std::string data_dir = options.data_dir.empty() ? shared_path("benchmarks") : options.data_dir;

  EvalResults results;
  for (const auto& name : names) results.tasks.push_back(evaluate_task(model, registry.get(name), options, data_dir));
  results.strata = summarize_strata(results.tasks);
  results.config = {{"tasks", options.tasks}, {"num_fewshot", options.shots ? nlohmann::json(*options.shots) : nlohmann::json("task default")},
                    {"limit", options.limit ? nlohmann::json(*options.limit) : nlohmann::json(nullptr)},
                    {"fewshot_seed", options.seed}, {"batch_size", options.batch_size}, {"data_dir", data_dir},
                    {"task_config", options.task_config}, {"add_bos_token", options.add_bos},
                    {"bootstrap_iters", options.bootstrap_iters},
                    {"row_policy", options.row_policy == RowPolicy::Fail ? "fail" : "skip"},
                    {"max_context", model.max_context()}, {"model", options.model_info}};
  results.seconds = seconds_since(start);
  return results;
}

}  // namespace qs
