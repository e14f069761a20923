#include "eval/lm_eval_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/jinja_template.h"
#include "eval/python_regex.h"

namespace qs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A plain (unquoted) YAML scalar typed as PyYAML would: null, bool, int, float, else a string.
json plain_scalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  size_t digits_from = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (digits_from < s.size() && s.find_first_not_of("0123456789", digits_from) == std::string::npos) return std::stoll(s);
  if (digits_from < s.size() && s.find_first_not_of("0123456789.eE+-", digits_from) == std::string::npos &&
      s.find('.') != std::string::npos) {
    try {
      size_t used = 0;
      const double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (const std::exception&) {
    }
  }
  return s;
}

// `!function module.name` (a Python hook) becomes {"!function": "module.name"}: an error when the
// merged task still uses it (an including file may set the key to null).
json to_json(const YAML::Node& node, const std::string& file, const std::string& key) {
  if (node.Tag() == "!function") return json{{"!function", node.Scalar()}};
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return node.Tag() == "!" ? json(node.Scalar()) : plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      json list = json::array();
      for (size_t i = 0; i < node.size(); ++i) list.push_back(to_json(node[i], file, key + "[" + std::to_string(i) + "]"));
      return list;
    }
    case YAML::NodeType::Map: {
      json map = json::object();
      for (const auto& item : node) {
        const std::string name = item.first.as<std::string>();
        map[name] = to_json(item.second, file, key.empty() ? name : key + "." + name);
      }
      return map;
    }
  }
  return nullptr;
}

// The file's keys over those of its `include` chain (lm-eval: the included config, updated).
json read_config(const fs::path& path, int depth) {
  require(depth < 16, path.string(), "include chain deeper than 16 files");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::BadFile&) {
    throw Error(path.string(), "cannot read the task file");
  } catch (const YAML::Exception& e) {
    throw Error(path.string() + ":" + std::to_string(e.mark.line + 1), "malformed YAML: " + e.msg);
  }
  json config = to_json(root, path.string(), "");
  require(config.is_object(), path.string(), "a task file must be a mapping of keys");
  if (!config.contains("include")) return config;
  require(config["include"].is_string(), path.string(), "'include' must be a file name");
  json merged = read_config(path.parent_path() / config["include"].get<std::string>(), depth + 1);
  for (const auto& [key, value] : config.items())
    if (key != "include") merged[key] = value;
  return merged;
}

struct Reader {
  const json& config;
  std::string where;

  bool has(const char* key) const { return config.contains(key) && !config[key].is_null(); }
  std::string text(const char* key, const std::string& fallback = "") const {
    if (!has(key)) return fallback;
    require(config[key].is_string(), where, std::string("'") + key + "' must be a string");
    return config[key].get<std::string>();
  }
  // A doc_to_* entry: a string, or an integer (a constant index / target).
  std::string field(const char* key) const {
    if (!has(key)) return "";
    if (config[key].is_number_integer()) return "{{ " + std::to_string(config[key].get<int64_t>()) + " }}";
    return text(key);
  }
};

const std::vector<std::string> kIgnoredKeys = {
    "group", "tag", "dataset_name", "should_decontaminate", "doc_to_decontamination_query", "task_alias",
    "group_alias", "repeats", "output_type", "metadata", "dataset_kwargs", "dataset_path", "unsafe_code"};

std::string data_file(const json& config, const fs::path& dir, const std::string& split, const std::string& where) {
  const std::string path = config["dataset_path"].get<std::string>();
  const json kwargs = config.value("dataset_kwargs", json::object());
  const json files = kwargs.is_object() ? kwargs.value("data_files", json()) : json();
  auto resolve = [&](const std::string& file) { return fs::path(file).is_absolute() ? file : (dir / file).string(); };
  if (path == "json" || path == "csv") {
    require(!files.is_null(), where, "dataset_path '" + path + "' needs dataset_kwargs.data_files");
    if (files.is_string()) return split == "train" ? resolve(files.get<std::string>()) : "";  // HF: one file = train
    require(files.is_object(), where, "data_files must be a file name or a mapping split: file");
    if (!files.contains(split)) return "";
    json file = files[split];
    if (file.is_array() && file.size() == 1) file = file[0];
    require(file.is_string(), where, "data_files." + split + ": one file per split");
    return resolve(file.get<std::string>());
  }
  const fs::path folder = fs::path(path).is_absolute() ? fs::path(path) : dir / path;
  require(fs::is_directory(folder), where,
          "dataset_path '" + path + "' is not a local folder; quantscale runs offline: use a folder of "
          "<split>.jsonl files or dataset_path: json with dataset_kwargs.data_files");
  if (!files.is_null() && files.is_object() && files.contains(split) && files[split].is_string())
    return (folder / files[split].get<std::string>()).string();
  for (const char* ext : {".jsonl", ".json", ".csv"})
    if (fs::exists(folder / (split + ext))) return (folder / (split + ext)).string();
  return "";
}

std::vector<FilterPipeline> filters_of(const json& list, const std::string& where) {
  std::vector<FilterPipeline> pipelines;
  require(list.is_array(), where, "'filter_list' must be a list");
  for (const auto& entry : list) {
    FilterPipeline pipeline;
    pipeline.name = entry.value("name", "none");
    for (const auto& f : entry.value("filter", json::array())) {
      const std::string function = f.value("function", "");
      FilterStep step;
      if (function == "regex") {
        step.kind = FilterStep::Kind::Regex;
        step.pattern = f.value("regex_pattern", "#### (\\-?[0-9\\.\\,]+)");
        step.group_select = f.value("group_select", 0);
        step.fallback = f.value("fallback", "[invalid]");
        // Compiled here so that a bad pattern stops the load, not the scoring after hours of
        // generation.
        (void)PythonRegex(step.pattern, where + ": filter '" + pipeline.name + "' regex_pattern");
      } else if (function == "take_first") {
        step.kind = FilterStep::Kind::TakeFirst;
      } else if (function == "remove_whitespace") {
        step.kind = FilterStep::Kind::RemoveWhitespace;
      } else {
        throw Error(where, "filter function '" + function + "' is not supported (regex, take_first, remove_whitespace)");
      }
      pipeline.steps.push_back(step);
    }
    pipelines.push_back(pipeline);
  }
  return pipelines;
}

void refuse_python_hooks(const json& value, const std::string& key, const std::string& where) {
  if (value.is_object() && value.contains("!function"))
    throw Error(where, "'" + key + "': !function " + value["!function"].get<std::string>() +
                           " is Python code, which quantscale does not run: write it as a Jinja template, or preprocess the data and set the key to null (docs/eval.md)");
  if (value.is_object())
    for (const auto& [k, v] : value.items()) refuse_python_hooks(v, key + "." + k, where);
  if (value.is_array())
    for (size_t i = 0; i < value.size(); ++i) refuse_python_hooks(value[i], key + "[" + std::to_string(i) + "]", where);
}

// lm-eval files write metadata as a mapping or as a list of one-key mappings.
json metadata_of(const json& config) {
  const json metadata = config.value("metadata", json::object());
  if (!metadata.is_array()) return metadata.is_object() ? metadata : json::object();
  json merged = json::object();
  for (const auto& item : metadata)
    if (item.is_object()) merged.update(item);
  return merged;
}

TaskSpec task_of(const json& config, const fs::path& file) {
  const std::string where = file.string();
  Reader r{config, where};
  for (const auto& [key, value] : config.items()) refuse_python_hooks(value, key, where);
  static const std::vector<std::string> kRead = {
      "task", "include", "test_split", "validation_split", "training_split", "fewshot_split", "doc_to_text",
      "doc_to_target", "doc_to_choice", "target_delimiter", "fewshot_delimiter", "fewshot_config", "num_fewshot",
      "metric_list", "generation_kwargs", "filter_list", "description"};
  for (const auto& [key, value] : config.items())
    require(value.is_null() || std::find(kRead.begin(), kRead.end(), key) != kRead.end() ||
                std::find(kIgnoredKeys.begin(), kIgnoredKeys.end(), key) != kIgnoredKeys.end(),
            where, "key '" + key + "' is not supported (docs/eval.md lists the lm-eval keys quantscale reads)");
  require(r.has("task") && config["task"].is_string(), where, "'task' must be one task name (group files are not supported)");
  require(r.has("dataset_path"), where, "'dataset_path' is required");
  TaskSpec spec;
  spec.name = r.text("task");
  spec.lm_eval_task = spec.name;
  spec.format = "lm_eval_yaml";
  static const std::vector<std::pair<std::string, OutputType>> kTypes = {
      {"multiple_choice", OutputType::MultipleChoice}, {"generate_until", OutputType::GenerateUntil},
      {"loglikelihood", OutputType::Loglikelihood}, {"loglikelihood_rolling", OutputType::LoglikelihoodRolling}};
  const std::string type = r.text("output_type", "generate_until");
  auto found = std::find_if(kTypes.begin(), kTypes.end(), [&](const auto& t) { return t.first == type; });
  require(found != kTypes.end(), where, "unknown output_type '" + type + "'");
  spec.output_type = found->second;

  auto templates = std::make_shared<DocTemplates>();
  templates->source = where;
  templates->text = r.field("doc_to_text");
  templates->target = r.field("doc_to_target");
  if (r.has("doc_to_choice") && config["doc_to_choice"].is_array())
    for (const auto& item : config["doc_to_choice"]) templates->choice_list.push_back(python_str(item));
  else
    templates->choice = r.field("doc_to_choice");

  // Splits: evaluation = test, else validation; few-shot pool = fewshot, else training, else evaluation.
  const std::string test = r.text("test_split"), validation = r.text("validation_split");
  const std::string eval_split = !test.empty() ? test : validation;
  require(!eval_split.empty(), where, "no test_split or validation_split");
  const fs::path dir = file.parent_path();
  spec.eval_file = data_file(config, dir, eval_split, where);
  require(!spec.eval_file.empty(), where, "no data file for the evaluation split '" + eval_split + "'");
  templates->data_format = config["dataset_path"] == "csv" || spec.eval_file.ends_with(".csv") ? "csv" : "json";
  const std::string fewshot = r.text("fewshot_split");
  for (const std::string& split : {fewshot, r.text("training_split")}) {
    if (split.empty()) continue;
    const std::string pool = data_file(config, dir, split, where);
    require(!pool.empty() || split != fewshot, where, "no data file for fewshot_split '" + split + "'");
    if (!pool.empty() && split != eval_split) spec.fewshot_file = pool;
    if (!pool.empty()) break;
  }
  spec.fewshot_sample_extra = fewshot == test;
  spec.templates = templates;

  spec.target_delimiter = r.text("target_delimiter", " ");
  spec.fewshot_delimiter = r.text("fewshot_delimiter", "\n\n");
  spec.description = JinjaTemplate(r.text("description"), where + ": description").render(json::object());
  if (r.has("fewshot_config")) {
    const std::string sampler = config["fewshot_config"].value("sampler", "default");
    require(sampler == "default" || sampler == "first_n", where, "fewshot_config.sampler '" + sampler + "' (default, first_n)");
    spec.sampler = sampler == "first_n" ? SamplerKind::FirstN : SamplerKind::Random;
  }
  if (r.has("num_fewshot")) spec.default_shots = config["num_fewshot"].get<int>();
  if (r.has("generation_kwargs")) {
    const json& g = config["generation_kwargs"];
    require(!g.value("do_sample", false), where, "generation_kwargs.do_sample: quantscale generates greedily only");
    if (g.contains("until")) spec.until = g["until"].is_string() ? std::vector<std::string>{g["until"].get<std::string>()}
                                                                 : g["until"].get<std::vector<std::string>>();
    spec.max_gen_toks = g.value("max_gen_toks", spec.max_gen_toks);
  }
  if (r.has("filter_list")) spec.filters = filters_of(config["filter_list"], where + ": filter_list");
  spec.metrics.clear();
  for (const auto& metric : config.value("metric_list", json::array())) {
    require(metric.is_object() && metric.contains("metric") && metric["metric"].is_string(), where,
            "metric_list items need a 'metric' name (function metrics are Python)");
    spec.metrics.push_back(metric["metric"].get<std::string>());
    if (spec.metrics.back() != "exact_match") continue;
    spec.exact_match.ignore_case = metric.value("ignore_case", false);
    spec.exact_match.ignore_punctuation = metric.value("ignore_punctuation", false);
    spec.exact_match.regexes_to_ignore = metric.value("regexes_to_ignore", std::vector<std::string>{});
    for (size_t i = 0; i < spec.exact_match.regexes_to_ignore.size(); ++i)
      (void)PythonRegex(spec.exact_match.regexes_to_ignore[i], where + ": regexes_to_ignore[" + std::to_string(i) + "]");
  }
  if (spec.metrics.empty()) spec.metrics = {spec.output_type == OutputType::GenerateUntil ? "exact_match" : "acc"};
  const json metadata = metadata_of(config);
  const std::string filter = spec.output_type == OutputType::GenerateUntil && !spec.filters.empty() ? spec.filters[0].name : "none";
  spec.primary_metric = metadata.value("primary_metric", spec.metrics[0] + "," + filter);
  spec.stratum = metadata.value("stratum", "user");
  spec.chance = metadata.value("chance", 0.0);
  spec.version = metadata.value("version", 1.0);
  return spec;
}

}  // namespace

bool is_lm_eval_yaml_path(const std::string& path) {
  return fs::is_directory(path) || path.ends_with(".yaml") || path.ends_with(".yml");
}

std::vector<TaskSpec> load_lm_eval_yaml(const std::string& path) {
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::directory_iterator(path)) {
      const std::string name = entry.path().filename().string();
      if ((name.ends_with(".yaml") || name.ends_with(".yml")) && !name.starts_with("_")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  std::vector<TaskSpec> specs;
  for (const auto& file : files) {
    json config = read_config(file, 0);
    if (fs::is_directory(path) && !config.contains("task")) continue;  // a base for include
    specs.push_back(task_of(config, file));
  }
  require(!specs.empty(), path, "no lm-eval task file (a YAML with a 'task' key)");
  return specs;
}

}  // namespace qs
