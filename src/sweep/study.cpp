#include "sweep/study.h"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/shared_paths.h"
#include "sweep/slurm_values.h"
#include "sweep/task_selection.h"

namespace qs {

namespace {

namespace fs = std::filesystem;

std::string location(const std::string& origin, const toml::source_region& region) {
  return origin + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column);
}

// Reads one TOML table, remembering which keys were used so unknown keys are errors at
// their own line (a typo like `group_size` for `group_sizes` must not be silently ignored).
class SectionReader {
 public:
  SectionReader(const toml::table* table, std::string section, const std::string& origin)
      : table_(table), section_(std::move(section)), origin_(origin) {}

  std::string where(const toml::node& node) const { return location(origin_, node.source()); }

  const toml::node* get(const std::string& key) {
    used_.insert(key);
    return table_ == nullptr ? nullptr : table_->get(key);
  }

  template <typename T>
  std::optional<T> scalar(const std::string& key, const char* type_name) {
    const toml::node* node = get(key);
    if (node == nullptr) return std::nullopt;
    auto value = node->value<T>();
    if (!value || (std::is_integral_v<T> && !node->is_integer()))
      throw Error(where(*node), section_ + "." + key + " must be " + type_name);
    return *value;
  }

  std::optional<std::string> text(const std::string& key) { return scalar<std::string>(key, "a string"); }
  std::optional<int64_t> integer(const std::string& key) { return scalar<int64_t>(key, "an integer"); }

  std::optional<bool> boolean(const std::string& key) {
    const toml::node* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) throw Error(where(*node), section_ + "." + key + " must be true or false");
    return node->value<bool>();
  }

  std::optional<double> number(const std::string& key) {
    const toml::node* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_number()) throw Error(where(*node), section_ + "." + key + " must be a number");
    return node->value<double>();
  }

  // A list whose elements `convert` maps to T; repeated values are an error at the repeat.
  template <typename T, typename Convert>
  std::vector<T> list(const std::string& key, Convert convert) {
    const toml::node* node = get(key);
    if (node == nullptr) return {};
    const toml::array* array = node->as_array();
    if (array == nullptr) throw Error(where(*node), section_ + "." + key + " must be a list");
    std::vector<T> values;
    for (const toml::node& element : *array) {
      T value = convert(element, where(element));
      for (const T& earlier : values)
        if (earlier == value) throw Error(where(element), "duplicate value in " + section_ + "." + key);
      values.push_back(value);
    }
    return values;
  }

  std::vector<std::string> strings(const std::string& key) {
    return list<std::string>(key, [&](const toml::node& e, const std::string& at) {
      if (!e.is_string()) throw Error(at, section_ + "." + key + " must hold strings");
      return *e.value<std::string>();
    });
  }

  std::vector<int64_t> integers(const std::string& key) {
    return list<int64_t>(key, [&](const toml::node& e, const std::string& at) {
      if (!e.is_integer()) throw Error(at, section_ + "." + key + " must hold integers");
      return *e.value<int64_t>();
    });
  }

  // Every key of the table must have been read.
  void finish() const {
    if (table_ == nullptr) return;
    for (auto&& [key, value] : *table_) {
      if (used_.count(std::string(key.str())) == 0)
        throw Error(location(origin_, key.source()), "unknown key '" + std::string(key.str()) + "' in [" + section_ + "]");
    }
  }

 private:
  const toml::table* table_;
  std::string section_;
  const std::string& origin_;
  std::set<std::string> used_;
};

struct PathResolver {
  fs::path base;  // folder of the study file
  std::string resolve(const std::string& raw) const {
    std::string expanded = raw;
    const std::string token = "${shared}";
    for (size_t at = expanded.find(token); at != std::string::npos; at = expanded.find(token))
      expanded.replace(at, token.size(), shared_dir());
    fs::path path(expanded);
    if (path.is_relative()) path = base / path;
    return path.lexically_normal().string();
  }
};

const toml::table* section(const toml::table& root, const std::string& name, const std::string& origin) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return nullptr;
  if (!node->is_table()) throw Error(location(origin, node->source()), "[" + name + "] must be a table");
  return node->as_table();
}

std::string existing(const std::string& path, const std::string& where, const std::string& what, bool directory) {
  bool ok = directory ? fs::is_directory(path) : fs::is_regular_file(path);
  if (!ok) throw Error(where, what + " not found: " + path);
  return path;
}

void read_models(const toml::table& root, const std::string& origin, const PathResolver& paths, Study& study) {
  const toml::node* node = root.get("model");
  if (node == nullptr) throw Error(origin, "no [[model]] entries: a study needs at least one model");
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables())
    throw Error(location(origin, node->source()), "model must be an array of tables ([[model]])");
  for (const toml::node& element : *array) {
    SectionReader reader(element.as_table(), "model", origin);
    auto path = reader.text("path");
    if (!path) throw Error(reader.where(element), "[[model]] needs a path");
    StudyModel model;
    model.path = existing(paths.resolve(*path), reader.where(*reader.get("path")), "model folder", true);
    model.name = reader.text("name").value_or(fs::path(model.path).filename().string());
    reader.finish();
    for (const auto& earlier : study.models)
      if (earlier.name == model.name) throw Error(reader.where(element), "duplicate model name '" + model.name + "'");
    study.models.push_back(model);
  }
}

void read_quantization(SectionReader& q, const PathResolver& paths, Study& study) {
  study.methods.clear();
  for (const auto& name : q.strings("methods")) {
    const std::optional<QuantMethod> method = parse_method(name);
    if (!method || *method == QuantMethod::Fp)
      throw Error(q.where(*q.get("methods")), "unknown method '" + name + "' (gptq, rtn; the fp baseline is implicit)");
    study.methods.push_back(*method);
  }
  for (int64_t b : q.integers("bits")) {
    if (b != 2 && b != 3 && b != 4 && b != 8)
      throw Error(q.where(*q.get("bits")), "bits must be 2, 3, 4 or 8 (GPTQ packing), got " + std::to_string(b));
    study.bits.push_back(static_cast<int>(b));
  }
  study.group_sizes = q.list<int>("group_sizes", [](const toml::node& e, const std::string& at) {
    if (e.is_string() && *e.value<std::string>() == "channel") return -1;
    if (!e.is_integer() || (*e.value<int64_t>() < 1 && *e.value<int64_t>() != -1))
      throw Error(at, "group size must be a positive integer, -1 or \"channel\"");
    return static_cast<int>(*e.value<int64_t>());
  });
  for (int64_t c : q.integers("calib_samples")) {
    if (c < 1) throw Error(q.where(*q.get("calib_samples")), "calib_samples must be positive");
    study.calib_samples.push_back(static_cast<int>(c));
  }
  for (int64_t s : q.integers("seeds")) study.seeds.push_back(static_cast<uint64_t>(s));
  if (study.seeds.empty()) study.seeds = {0};
  study.calib_seq_len = static_cast<int>(q.integer("calib_seq_len").value_or(study.calib_seq_len));
  if (auto source = q.text("calib_source"))
    study.calib_source = existing(paths.resolve(*source), q.where(*q.get("calib_source")), "calibration text", false);
  study.act_order = q.boolean("act_order").value_or(false);
  study.true_sequential = q.boolean("true_sequential").value_or(false);
  study.quantize_lm_head = q.boolean("lm_head").value_or(false);
  study.heldout_samples = q.integer("heldout_samples").value_or(kDefaultHeldoutSamples);
  if (study.heldout_samples < 0)
    throw Error(q.where(*q.get("heldout_samples")), "quantization.heldout_samples must be 0 or more");
  q.finish();

  bool any_method = !study.methods.empty();
  if (any_method && (study.bits.empty() || study.group_sizes.empty()))
    throw Error(q.where(*q.get("methods")), "quantization needs non-empty bits and group_sizes");
  bool gptq = std::find(study.methods.begin(), study.methods.end(), QuantMethod::Gptq) != study.methods.end();
  if (gptq && (study.calib_samples.empty() || study.calib_source.empty()))
    throw Error(q.where(*q.get("methods")), "gptq needs calib_samples and calib_source");
}

// The [slurm] values, each checked against what sbatch accepts (slurm_values.h) at its own
// line; run_sweep_slurm checks them again after command-line overrides.
void read_slurm(SectionReader& slurm, SlurmResources& r) {
  auto checked = [&](const char* key, std::string value, std::string (*problem)(std::string_view)) {
    std::string what = value.empty() ? "" : problem(value);
    if (!what.empty())
      throw Error(slurm.where(*slurm.get(key)), std::string("slurm.") + key + " '" + printable(value) + "' " + what);
    return value;
  };
  r.partition = checked("partition", slurm.text("partition").value_or(""), slurm_partition_problem);
  r.time = checked("time", slurm.text("time").value_or(r.time), slurm_time_problem);
  r.mem = checked("mem", slurm.text("mem").value_or(r.mem), slurm_mem_problem);
  r.cpus_per_task = static_cast<int>(slurm.integer("cpus_per_task").value_or(r.cpus_per_task));
  if (r.cpus_per_task < 1) throw Error(slurm.where(*slurm.get("cpus_per_task")), "slurm.cpus_per_task must be at least 1");
  r.max_parallel = static_cast<int>(slurm.integer("max_parallel").value_or(0));
  if (r.max_parallel < 0) throw Error(slurm.where(*slurm.get("max_parallel")), "slurm.max_parallel must be 0 or more");
  r.extra_directives = slurm.strings("extra");
  for (const auto& directive : r.extra_directives) {
    std::string what = slurm_directive_problem(directive);
    if (!what.empty())
      throw Error(slurm.where(*slurm.get("extra")), "slurm.extra '" + printable(directive) + "' " + what);
  }
}

}  // namespace

Study parse_study(const std::string& toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    throw Error(location(origin, e.source()), std::string(e.description()));
  }
  PathResolver paths{fs::absolute(fs::path(origin)).parent_path()};
  Study study;
  study.file = origin;

  for (auto&& [key, value] : root) {
    static const std::set<std::string> known = {"study", "model", "quantization", "evaluation", "perplexity", "slurm", "sweep"};
    if (known.count(std::string(key.str())) == 0)
      throw Error(location(origin, key.source()), "unknown section '" + std::string(key.str()) + "'");
  }

  SectionReader head(section(root, "study", origin), "study", origin);
  study.name = head.text("name").value_or(fs::path(origin).stem().string());
  if (study.name.empty() || printable(study.name) != study.name)
    throw Error(head.get("name") ? head.where(*head.get("name")) : origin,
                "study.name '" + printable(study.name) + "' must be non-empty and hold no control characters");
  study.output_dir = paths.resolve(head.text("output").value_or("runs/" + study.name));
  head.finish();

  read_models(root, origin, paths, study);

  SectionReader quant(section(root, "quantization", origin), "quantization", origin);
  read_quantization(quant, paths, study);

  SectionReader eval(section(root, "evaluation", origin), "evaluation", origin);
  study.tasks = eval.strings("tasks");
  if (auto config = eval.text("task_config"))
    study.task_config = existing(paths.resolve(*config), eval.where(*eval.get("task_config")), "task config", false);
  if (!study.tasks.empty()) select_tasks(study.tasks, eval.where(*eval.get("tasks")), study.task_config);
  study.shots = static_cast<int>(eval.integer("shots").value_or(-1));
  study.limit = eval.integer("limit").value_or(0);
  eval.finish();

  SectionReader ppl(section(root, "perplexity", origin), "perplexity", origin);
  if (auto text = ppl.text("text")) study.ppl_text = existing(paths.resolve(*text), ppl.where(*ppl.get("text")), "perplexity text", false);
  study.ppl_ctx = static_cast<int>(ppl.integer("ctx").value_or(study.ppl_ctx));
  study.ppl_max_tokens = ppl.integer("max_tokens").value_or(0);
  ppl.finish();

  SectionReader slurm(section(root, "slurm", origin), "slurm", origin);
  read_slurm(slurm, study.slurm);
  slurm.finish();

  SectionReader sweep(section(root, "sweep", origin), "sweep", origin);
  study.runner = sweep.text("runner").value_or(study.runner);
  if (study.runner != "pipeline" && study.runner != "synthetic")
    throw Error(sweep.where(*sweep.get("runner")), "runner must be \"pipeline\" or \"synthetic\"");
  study.synthetic_seconds = sweep.number("synthetic_seconds").value_or(0.0);
  sweep.finish();

  if (study.tasks.empty() && study.ppl_text.empty())
    throw Error(origin, "a study needs [evaluation] tasks or a [perplexity] text: nothing would be measured");
  return study;
}

void set_output_dir(Study& study, const std::string& output_dir) {
  study.output_dir = fs::absolute(output_dir).lexically_normal().string();
}

Study load_study(const std::string& path) {
  // A study file is a few KB; a device or a huge file is refused before it fills memory.
  constexpr int64_t kMaxStudyBytes = int64_t{16} << 20;
  return parse_study(read_file(path, kMaxStudyBytes), path);
}

}  // namespace qs
