#include "sweep/slurm_values.h"

#include <array>
#include <cstdio>

#include "core/error.h"

namespace qs {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

bool all_of(std::string_view text, bool (*allowed)(char)) {
  for (char c : text)
    if (!allowed(c)) return false;
  return true;
}

// 1 to 9 digits: a count Slurm parses as an int without overflow.
bool is_count(std::string_view text) { return !text.empty() && text.size() <= 9 && all_of(text, is_digit); }

bool is_name_char(char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; }
bool is_value_char(char c) {
  static constexpr std::string_view kExtra = "_.,:/=+@%-";
  return is_alnum(c) || kExtra.find(c) != std::string_view::npos;
}

// Flags the script sets itself (their own [slurm] fields), or that would run something else
// (--wrap) or send the log where slurm_log_path does not look.
constexpr std::array<std::string_view, 9> kReservedFlags = {"array", "output", "error", "job-name", "wrap",
                                                            "cpus-per-task", "time", "mem", "partition"};

}  // namespace

std::string printable(std::string_view value) {
  std::string shown;
  for (char c : value) {
    if (c == '\n') shown += "\\n";
    else if (c == '\t') shown += "\\t";
    else if (is_control(c)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      shown += hex;
    } else shown += c;
  }
  return shown;
}

std::string slurm_time_problem(std::string_view time) {
  const std::string expected = "not a Slurm time (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED)";
  if (time == "UNLIMITED" || time == "INFINITE") return "";
  std::string_view rest = time;
  size_t dash = rest.find('-');
  if (dash != std::string_view::npos) {
    if (!is_count(rest.substr(0, dash))) return expected;
    rest = rest.substr(dash + 1);
  }
  int fields = 0;
  for (;;) {
    size_t colon = rest.find(':');
    if (!is_count(rest.substr(0, colon))) return expected;
    ++fields;
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  return fields <= 3 ? "" : expected;
}

std::string slurm_mem_problem(std::string_view mem) {
  std::string_view digits = mem;
  if (!mem.empty() && std::string_view("KMGTkmgt").find(mem.back()) != std::string_view::npos)
    digits = mem.substr(0, mem.size() - 1);
  if (!is_count(digits)) return "not a Slurm memory size (an integer of MB, or with a unit: 4096M, 4G, 1T)";
  return "";
}

std::string slurm_partition_problem(std::string_view partition) {
  std::string_view rest = partition;
  for (;;) {
    size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    if (name.empty() || name.size() > 128 || !all_of(name, is_name_char))
      return "not a Slurm partition name or comma-separated list of them (letters, digits, '_', '.', '-')";
    if (comma == std::string_view::npos) return "";
    rest = rest.substr(comma + 1);
  }
}

std::string slurm_job_name_problem(std::string_view name) {
  if (name.empty() || name.size() > 128 || !all_of(name, [](char c) { return is_name_char(c) || c == '+'; }))
    return "cannot be a Slurm job name: use 1 to 128 letters, digits, '_', '.', '+', '-'";
  return "";
}

std::string slurm_directive_problem(std::string_view directive) {
  const std::string form = "not an sbatch option of the form --flag or --flag=value";
  if (directive.size() < 3 || directive.substr(0, 2) != "--") return form;
  size_t equals = directive.find('=');
  std::string_view flag = directive.substr(2, equals == std::string_view::npos ? std::string_view::npos : equals - 2);
  if (flag.empty() || !is_alnum(flag[0]) || !all_of(flag, [](char c) { return is_alnum(c) || c == '-'; }))
    return form;
  // getopt_long takes any unambiguous prefix ("--out=" is --output), so prefixes are refused too.
  for (std::string_view reserved : kReservedFlags)
    if (reserved.substr(0, flag.size()) == flag)
      return "--" + std::string(flag) + " is (an abbreviation of) an option quantscale sets: use its [slurm] field";
  if (equals == std::string_view::npos) return "";
  std::string_view value = directive.substr(equals + 1);
  if (!value.empty() && all_of(value, is_value_char)) return "";
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    std::string_view inside = value.substr(1, value.size() - 2);
    if (all_of(inside, [](char c) { return c != '"' && c != '\\' && !is_control(c); })) return "";
  }
  return "the value of --" + std::string(flag) +
         " must be letters, digits and _.,:/=+@%- or be double-quoted (no '\"', '\\' or control characters inside)";
}

std::string slurm_path_problem(std::string_view path) {
  if (path.empty() || !all_of(path, [](char c) { return c != '"' && c != '\\' && c != '%' && !is_control(c); }))
    return "cannot be written into \"#SBATCH --output=\": it may not hold '\"', '\\', '%' or control characters";
  return "";
}

void check_slurm_values(const Study& study) {
  auto check = [&](const char* field, const std::string& value, const std::string& problem) {
    if (!problem.empty()) throw Error(study.file, std::string(field) + " '" + printable(value) + "' " + problem);
  };
  const SlurmResources& r = study.slurm;
  check("study.name", study.name, slurm_job_name_problem(study.name));
  check("output folder", study.output_dir, slurm_path_problem(study.output_dir));
  if (!r.partition.empty()) check("slurm.partition (--partition)", r.partition, slurm_partition_problem(r.partition));
  if (!r.time.empty()) check("slurm.time (--time)", r.time, slurm_time_problem(r.time));
  if (!r.mem.empty()) check("slurm.mem (--mem)", r.mem, slurm_mem_problem(r.mem));
  for (const auto& directive : r.extra_directives) check("slurm.extra", directive, slurm_directive_problem(directive));
  if (r.cpus_per_task < 1) throw Error(study.file, "slurm.cpus_per_task must be at least 1");
  if (r.max_parallel < 0) throw Error(study.file, "slurm.max_parallel must be 0 (no throttle) or more");
}

}  // namespace qs
