// quantscale predict FIT.json --params N --bits B --group-size G --calib-samples Cb
// Per-stratum predicted Acc_adj (and Acc per task) with 95% prediction intervals.
#include <cstdio>

#include "cli/command_registry.h"
#include "core/error.h"
#include "law/fit_json.h"
#include "law/memory_model.h"
#include "law/predict.h"
#include "report/table.h"

namespace qs::cli {
namespace {

struct PredictArgs {
  std::string fit_file, params;
  int bits = 4, group_size = 128, calib_samples = 128;
  double confidence = 0.95;
  bool per_task = false;
};

std::string show_interval(const law::Interval& i, int decimals) {
  return report::with_interval(i.value, i.low, i.high, decimals);
}

int run_predict(const PredictArgs& args) {
  law::LawStudy fit = law::load_fit_file(args.fit_file);
  require(args.confidence > 0 && args.confidence < 1, "--confidence", "must lie in (0, 1)");
  law::Configuration config{law::parse_count(args.params, "--params"), args.bits, args.group_size, args.calib_samples};
  std::string pi = report::fixed(100 * args.confidence, 0) + "% PI";
  report::Table strata{"Predicted for N = " + report::parameter_count(config.n_params) + ", B = " + std::to_string(config.bits) +
                           ", G = " + std::to_string(config.group_size) + ", Cb = " + std::to_string(config.calib_samples),
                       {"stratum", "quantity", "prediction  [" + pi + "]", "ŷ ± se (fitted space)"},
                       {},
                       {}};
  report::Table tasks{"Accuracy per task (Acc = Acc_rand + (1 − Acc_rand)·Acc_adj)",
                      {"stratum", "task", "Acc_rand", "Acc  [" + pi + "]"}, {}, {}};
  std::vector<std::string> warnings;
  for (const auto& f : fit.fits) {
    if (!f.fitted) {
      strata.rows.push_back({f.stratum, "not fitted", "", ""});
      continue;
    }
    law::StratumPrediction p = law::predict_stratum(f, config, args.confidence);
    bool accuracy = p.response == law::Response::Accuracy;
    strata.rows.push_back({f.stratum, accuracy ? "Acc_adj" : "ppl_q/ppl_fp", show_interval(p.natural, accuracy ? 3 : 4),
                           report::fixed(p.y.value, 3) + " ± " + report::fixed(p.se_prediction, 3)});
    for (const auto& [task, acc] : p.task_accuracy)
      tasks.rows.push_back({f.stratum, task, report::fixed(f.task_acc_rand.at(task), 3), show_interval(acc, 3)});
    for (const auto& w : p.warnings) warnings.push_back("warning: " + w);
  }
  std::string text = report::render_text(strata);
  if (args.per_task && !tasks.rows.empty()) text += "\n" + report::render_text(tasks);
  for (const auto& w : warnings) text += w + "\n";
  std::fputs(text.c_str(), stdout);
  return 0;
}

const CommandRegistration predict_registration{
    {"predict", "predict per-stratum accuracy of a configuration from a fit, with prediction intervals",
     [](CLI::App& sub) {
       auto args = std::make_shared<PredictArgs>();
       sub.add_option("fit", args->fit_file, "fit.json written by quantscale fit")->required();
       sub.add_option("--params,--model-params", args->params, "parameter count N (8e9, 8B, 600M)")->required();
       sub.add_option("--bits", args->bits, "bits per weight")->capture_default_str();
       sub.add_option("--group-size", args->group_size, "group size G (-1 = per channel)")->capture_default_str();
       sub.add_option("--calib-samples", args->calib_samples, "calibration sequences Cb")->capture_default_str();
       sub.add_option("--confidence", args->confidence, "prediction-interval level")->capture_default_str();
       sub.add_flag("--per-task", args->per_task, "also print Acc for every task of each stratum");
       return [args] { return run_predict(*args); };
     }}};

}  // namespace
}  // namespace qs::cli
