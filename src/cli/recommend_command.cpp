// quantscale recommend FIT.json --params N --memory 6GiB --min L3=0.9[,L1=…]
// The cheapest configuration whose predicted Acc_adj meets every floor, its margins, and the
// Pareto front of memory against predicted accuracy.
#include <cstdio>

#include "cli/command_registry.h"
#include "law/fit_json.h"
#include "law/recommend.h"
#include "report/table.h"

namespace qs::cli {
namespace {

struct RecommendArgs {
  std::string fit_file, params, nonembed, memory;
  std::vector<std::string> floors;  // --min may repeat; one floor per stratum
  std::string bits, group_sizes = "32,64,128,1024", calib_samples = "8,32,128,1024";
  bool conservative = false;
};

std::string configuration(const law::Candidate& c) {
  return "B=" + std::to_string(c.config.bits) + " G=" + std::to_string(c.config.group_size) +
         " Cb=" + std::to_string(c.config.calib_samples);
}

int run_recommend(const RecommendArgs& args) {
  law::LawStudy fit = law::load_fit_file(args.fit_file);
  law::RecommendOptions options;
  options.n_params = law::parse_count(args.params, "--params");
  if (!args.nonembed.empty()) options.nonembed_params = law::parse_count(args.nonembed, "--nonembed-params");
  if (!args.memory.empty()) options.memory_budget = law::parse_bytes(args.memory, "--memory");
  std::string floors;
  for (const auto& f : args.floors) floors.append(floors.empty() ? "" : ",").append(f);
  options.floors = law::parse_floors(floors);
  options.bits_given = !args.bits.empty();
  if (options.bits_given) options.bits = law::parse_int_list(args.bits, "--bits");
  options.group_sizes = law::parse_int_list(args.group_sizes, "--group-sizes");
  options.calib_samples = law::parse_int_list(args.calib_samples, "--calib-samples");
  options.conservative = args.conservative;
  law::Recommendation r = law::recommend(fit, options);

  std::string text = "memory model: Nq = " + report::parameter_count(r.memory.quantized_params) + " quantized of N = " +
         report::parameter_count(r.memory.n_params) + " (" + r.memory.split_source + "), rest at " +
         report::fixed(r.memory.source_bytes, 0) + " bytes/param\n";
  text += std::string("floors on predicted Acc_adj") + (args.conservative ? " (lower 95% prediction bound)" : "") + "\n";
  for (const auto& m : r.messages) text += "note: " + m + "\n";
  if (r.best >= 0) {
    const law::Candidate& best = r.candidates[r.best];
    report::Table t{"Recommended: " + configuration(best) + ", " + law::format_bytes(best.bytes) +
                        (options.memory_budget > 0 ? " of " + law::format_bytes(options.memory_budget) : ""),
                    {"stratum", "floor", "predicted Acc_adj  [95% PI]", "margin"},
                    {},
                    {}};
    for (const auto& [stratum, p] : best.predictions) {
      double used = args.conservative ? p.natural.low : p.natural.value;
      t.rows.push_back({stratum, report::fixed(options.floors.at(stratum), 3),
                        report::with_interval(p.natural.value, p.natural.low, p.natural.high, 3),
                        report::fixed(used - options.floors.at(stratum), 3)});
      for (const auto& w : p.warnings) t.notes.push_back("warning: " + w);
    }
    text += "\n" + report::render_text(t);
  }
  report::Table front{"Pareto front: memory vs worst floored stratum's predicted Acc_adj",
                      {"configuration", "memory", "worst Acc_adj", "meets floors", "fits memory"},
                      {},
                      {}};
  for (int i : r.pareto) {
    const law::Candidate& c = r.candidates[i];
    front.rows.push_back({configuration(c) + (i == r.best ? "  <- recommended" : ""), law::format_bytes(c.bytes),
                          report::fixed(c.worst, 3), c.meets_floors ? "yes" : "no", c.fits_memory ? "yes" : "no"});
  }
  text += "\n" + report::render_text(front);
  std::fputs(text.c_str(), stdout);
  return r.best >= 0 ? 0 : 4;
}

const CommandRegistration recommend_registration{
    {"recommend", "cheapest quantization configuration meeting per-stratum accuracy floors", [](CLI::App& sub) {
       auto args = std::make_shared<RecommendArgs>();
       sub.add_option("fit", args->fit_file, "fit.json written by quantscale fit")->required();
       sub.add_option("--params", args->params, "parameter count N (8e9, 8B)")->required();
       sub.add_option("--nonembed-params", args->nonembed, "non-embedding parameters (quantized); default: inferred");
       sub.add_option("--memory", args->memory, "memory budget (6GiB, 5.5GB)");
       sub.add_option("--min", args->floors, "floors on predicted Acc_adj, e.g. L3=0.9,L1=0.5")->required();
       sub.add_option("--bits", args->bits,
                      "candidate bit widths (default: those of 2,3,4,8 inside the fitted data's range)");
       sub.add_option("--group-sizes", args->group_sizes, "candidate group sizes")->capture_default_str();
       sub.add_option("--calib-samples", args->calib_samples, "candidate calibration sizes")->capture_default_str();
       sub.add_flag("--conservative", args->conservative, "floors on the lower 95% prediction bound");
       return [args] { return run_recommend(*args); };
     }}};

}  // namespace
}  // namespace qs::cli
