#include "eval/task_registry.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <toml++/toml.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "eval/builtin_tasks.h"
#include "eval/lm_eval_yaml.h"
#include "eval/metrics.h"
#include "eval/python_regex.h"
#include "eval/task_loaders.h"

namespace qs {
namespace {

using nlohmann::json;

std::string lower_ascii(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

json toml_to_json(const toml::node& node) {
  if (const auto* table = node.as_table()) {
    json out = json::object();
    for (const auto& [key, value] : *table) out[std::string(key.str())] = toml_to_json(value);
    return out;
  }
  if (const auto* array = node.as_array()) {
    json out = json::array();
    for (const auto& value : *array) out.push_back(toml_to_json(value));
    return out;
  }
  if (const auto* v = node.as_string()) return v->get();
  if (const auto* v = node.as_integer()) return v->get();
  if (const auto* v = node.as_floating_point()) return v->get();
  if (const auto* v = node.as_boolean()) return v->get();
  return nullptr;
}

OutputType parse_output_type(const std::string& name, const std::string& where) {
  for (OutputType type : {OutputType::Loglikelihood, OutputType::LoglikelihoodRolling, OutputType::MultipleChoice, OutputType::GenerateUntil})
    if (name == output_type_name(type)) return type;
  throw Error(where, "output_type '" + name + "' is not loglikelihood, loglikelihood_rolling, multiple_choice or generate_until");
}

template <class T>
T value_of(const json& entry, const char* key, const std::string& where) {
  try {
    return entry.at(key).get<T>();
  } catch (const json::exception&) {
    throw Error(where, std::string("key '") + key + "': wrong type");
  }
}

// Applies the keys of one [[task]] entry onto `spec` (unknown keys are errors, not ignored).
void apply_entry(const json& entry, TaskSpec& spec, const std::string& where) {
  static const std::vector<std::string> kKeys = {
      "name", "base", "format", "eval_file", "fewshot_file", "label_file", "output_type", "multiple_input",
      "description", "text_suffix", "target_delimiter", "fewshot_delimiter", "sampler", "fewshot_sample_extra",
      "default_shots", "until", "max_gen_toks", "metrics", "primary_metric", "chance", "stratum", "version",
      "ignore_case", "ignore_punctuation", "regexes_to_ignore", "lm_eval_task"};
  for (const auto& [key, value] : entry.items())
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) throw Error(where, "unknown key '" + key + "'");
  auto str = [&](const char* key, std::string& field) {
    if (entry.contains(key)) field = value_of<std::string>(entry, key, where);
  };
  str("format", spec.format);
  str("eval_file", spec.eval_file);
  str("fewshot_file", spec.fewshot_file);
  str("label_file", spec.label_file);
  str("description", spec.description);
  str("text_suffix", spec.text_suffix);
  str("target_delimiter", spec.target_delimiter);
  str("fewshot_delimiter", spec.fewshot_delimiter);
  str("primary_metric", spec.primary_metric);
  str("stratum", spec.stratum);
  str("lm_eval_task", spec.lm_eval_task);
  if (entry.contains("output_type")) spec.output_type = parse_output_type(value_of<std::string>(entry, "output_type", where), where);
  if (entry.contains("multiple_input")) spec.multiple_input = value_of<bool>(entry, "multiple_input", where);
  if (entry.contains("sampler")) {
    std::string sampler = value_of<std::string>(entry, "sampler", where);
    if (sampler != "default" && sampler != "first_n") throw Error(where, "sampler must be 'default' or 'first_n'");
    spec.sampler = sampler == "first_n" ? SamplerKind::FirstN : SamplerKind::Random;
  }
  if (entry.contains("fewshot_sample_extra")) spec.fewshot_sample_extra = value_of<bool>(entry, "fewshot_sample_extra", where);
  if (entry.contains("default_shots")) spec.default_shots = value_of<int>(entry, "default_shots", where);
  if (entry.contains("until")) spec.until = value_of<std::vector<std::string>>(entry, "until", where);
  if (entry.contains("max_gen_toks")) spec.max_gen_toks = value_of<int>(entry, "max_gen_toks", where);
  if (entry.contains("metrics")) spec.metrics = value_of<std::vector<std::string>>(entry, "metrics", where);
  if (entry.contains("chance")) spec.chance = value_of<double>(entry, "chance", where);
  if (entry.contains("version")) spec.version = value_of<double>(entry, "version", where);
  if (entry.contains("ignore_case")) spec.exact_match.ignore_case = value_of<bool>(entry, "ignore_case", where);
  if (entry.contains("ignore_punctuation")) spec.exact_match.ignore_punctuation = value_of<bool>(entry, "ignore_punctuation", where);
  if (entry.contains("regexes_to_ignore")) {
    spec.exact_match.regexes_to_ignore = value_of<std::vector<std::string>>(entry, "regexes_to_ignore", where);
    spec.exact_match.source = where;
    // Compiled now so that a bad pattern is a config error, not a failure hours into a sweep.
    for (size_t i = 0; i < spec.exact_match.regexes_to_ignore.size(); ++i)
      (void)PythonRegex(spec.exact_match.regexes_to_ignore[i], regexes_to_ignore_field(spec.exact_match, i));
  }
  if (spec.primary_metric.empty() && !spec.metrics.empty()) spec.primary_metric = spec.metrics.front() + ",none";
}

void validate(const TaskSpec& spec, const std::string& where) {
  const auto& formats = known_formats();
  require(std::find(formats.begin(), formats.end(), spec.format) != formats.end(), where,
          "task '" + spec.name + "': unknown format '" + spec.format + "'");
  require(!spec.eval_file.empty(), where, "task '" + spec.name + "': eval_file is required");
  require(spec.chance >= 0 && spec.chance < 1, where, "task '" + spec.name + "': chance must be in [0, 1)");
  require(!spec.stratum.empty(), where, "task '" + spec.name + "': stratum is required");
  require(!spec.metrics.empty(), where, "task '" + spec.name + "': metrics are required");
  static const std::vector<std::string> kMetrics = {"acc", "acc_norm", "acc_bytes", "exact_match", "perplexity",
                                                    "word_perplexity", "byte_perplexity", "bits_per_byte"};
  for (const auto& metric : spec.metrics)
    require(std::find(kMetrics.begin(), kMetrics.end(), metric) != kMetrics.end(), where,
            "task '" + spec.name + "': unknown metric '" + metric + "'");
}

}  // namespace

const char* output_type_name(OutputType type) {
  switch (type) {
    case OutputType::Loglikelihood: return "loglikelihood";
    case OutputType::LoglikelihoodRolling: return "loglikelihood_rolling";
    case OutputType::MultipleChoice: return "multiple_choice";
    case OutputType::GenerateUntil: return "generate_until";
  }
  return "?";
}

TaskRegistry TaskRegistry::builtin() {
  TaskRegistry registry;
  registry.tasks_ = builtin_tasks();
  return registry;
}

bool TaskRegistry::contains(const std::string& name) const {
  return std::any_of(tasks_.begin(), tasks_.end(), [&](const TaskSpec& t) { return t.name == name; });
}

const TaskSpec& TaskRegistry::get(const std::string& name) const {
  for (const auto& task : tasks_)
    if (task.name == name) return task;
  std::string known;
  for (const auto& task : tasks_) known += (known.empty() ? "" : ", ") + task.name;
  throw Error("--tasks", "unknown task '" + name + "' (known: " + known + "; strata: l1, l2, l3)");
}

void TaskRegistry::add_or_replace(TaskSpec spec) {
  for (auto& task : tasks_)
    if (task.name == spec.name) {
      task = std::move(spec);
      return;
    }
  tasks_.push_back(std::move(spec));
}

std::vector<std::string> split_task_list(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) items.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

std::vector<std::string> TaskRegistry::resolve(const std::vector<std::string>& selection) const {
  std::vector<std::string> names;
  auto add = [&](const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  for (const std::string& item : selection) {
    if (item.empty()) continue;
    bool stratum_matched = false;
    if (!contains(item))
      for (const auto& task : tasks_)
        if (lower_ascii(task.stratum) == lower_ascii(item)) {
          add(task.name);
          stratum_matched = true;
        }
    if (!stratum_matched) add(get(item).name);
  }
  require(!names.empty(), "--tasks", "no task selected");
  return names;
}

void TaskRegistry::load_config(const std::string& path) {
  if (is_lm_eval_yaml_path(path)) {  // lm-eval task files (lm_eval_yaml.h)
    for (TaskSpec& spec : load_lm_eval_yaml(path)) {
      validate(spec, path + " ('" + spec.name + "')");
      add_or_replace(std::move(spec));
    }
    return;
  }
  json config;
  std::string text = read_file(path);
  if (path.ends_with(".json")) {
    try {
      config = json::parse(text);
    } catch (const json::parse_error& e) {
      throw Error(path, std::string("malformed JSON: ") + e.what());
    }
  } else {
    try {
      config = toml_to_json(toml::parse(text, path));
    } catch (const toml::parse_error& e) {
      throw Error(path + ":" + std::to_string(e.source().begin.line), std::string("malformed TOML: ") + std::string(e.description()));
    }
  }
  require(config.is_object(), path, "expected a table with 'strata' and/or 'task'");
  for (const auto& [key, value] : config.items())
    require(key == "strata" || key == "task" || key == "tasks", path, "unknown top-level key '" + key + "'");
  // Absolute: "mine.toml" has an empty parent_path, and "" / "data.jsonl" stays relative and
  // would later be read from --data-dir (the shipped benchmarks) instead of the user's file.
  const std::filesystem::path base_dir = std::filesystem::absolute(path).parent_path();
  const json& entries = config.contains("task") ? config["task"] : config.contains("tasks") ? config["tasks"] : json::array();
  require(entries.is_array(), path, "'task' must be a list of tables ([[task]])");
  for (size_t i = 0; i < entries.size(); ++i) {
    const json& entry = entries[i];
    std::string where = path + ": task #" + std::to_string(i + 1);
    require(entry.is_object() && entry.contains("name") && entry["name"].is_string(), where, "every task needs a string 'name'");
    std::string name = entry["name"].get<std::string>();
    TaskSpec spec;
    const bool registered = contains(name);
    if (registered) spec = get(name);
    if (entry.contains("base")) spec = get(value_of<std::string>(entry, "base", where));
    spec.name = name;
    apply_entry(entry, spec, where + " ('" + name + "')");
    // A new multiple-choice task without `chance` gets 1/(number of choices) from its documents
    // (not 0, which would overstate Acc_adj; nor a base task's, whose data may differ).
    if (entry.contains("chance")) spec.chance_from_choices = false;
    else if (!registered) spec.chance_from_choices = spec.output_type == OutputType::MultipleChoice;
    // A data file the entry names is the user's: a relative path resolves against this task
    // file's folder only (never --data-dir, where a shipped file of the same name would be
    // scored silently); absolute paths are kept. Files inherited from a registered task
    // (`base`, or an entry that names none) stay relative to --data-dir.
    for (const char* key : {"eval_file", "fewshot_file", "label_file"}) {
      std::string& file = key == std::string_view("eval_file")      ? spec.eval_file
                          : key == std::string_view("fewshot_file") ? spec.fewshot_file
                                                                    : spec.label_file;
      if (!entry.contains(key) || file.empty()) continue;
      if (std::filesystem::path(file).is_relative()) file = (base_dir / file).lexically_normal().string();
      require(std::filesystem::exists(file), where + " ('" + name + "')",
              std::string(key) + " '" + entry[key].get<std::string>() + "' not found at " + file +
                  " (relative paths resolve against the task file's folder)");
    }
    validate(spec, where);
    add_or_replace(std::move(spec));
  }
  if (config.contains("strata")) {
    require(config["strata"].is_object(), path, "'strata' must be a table of task = stratum");
    for (const auto& [name, stratum] : config["strata"].items()) {
      require(stratum.is_string(), path, "strata." + name + ": not a string");
      require(contains(name), path, "strata." + name + ": unknown task");
      TaskSpec spec = get(name);
      spec.stratum = stratum.get<std::string>();
      add_or_replace(std::move(spec));
    }
  }
}

}  // namespace qs
