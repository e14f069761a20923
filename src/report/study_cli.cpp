#include "report/study_cli.h"

#include "core/error.h"

namespace qs::report {

void add_study_options(CLI::App& app, StudyArgs& args) {
  app.add_option("--factors", args.factors, "factors in the law, comma-separated from N,B,G,Cb")
      ->capture_default_str();
  app.add_option("--response", args.response, "acc (accuracy strata + General), ppl (L0 perplexity law) or both")
      ->capture_default_str();
  app.add_option("--method", args.method, "quantizer to fit: auto (gptq if present, else rtn), gptq, rtn")
      ->capture_default_str();
  app.add_option("--n", args.n_definition, "parameter count used as N: total or nonembed")->capture_default_str();
  app.add_option("--bootstrap", args.bootstrap, "cluster-bootstrap resamples by model (0 = off)")->capture_default_str();
  app.add_option("--seed", args.seed, "bootstrap seed")->capture_default_str();
}

law::StudyOptions study_options(const StudyArgs& args) {
  law::StudyOptions options;
  options.prep.factors = law::parse_factors(args.factors);
  options.prep.method = args.method;
  require(args.method == "auto" || args.method == "gptq" || args.method == "rtn", "--method",
          "must be auto, gptq or rtn, got '" + args.method + "'");
  require(args.n_definition == "total" || args.n_definition == "nonembed", "--n",
          "must be total or nonembed, got '" + args.n_definition + "'");
  options.prep.nonembedding_n = args.n_definition == "nonembed";
  require(args.response == "acc" || args.response == "ppl" || args.response == "both", "--response",
          "must be acc, ppl or both, got '" + args.response + "'");
  options.accuracy = args.response != "ppl";
  options.perplexity = args.response != "acc";
  require(args.bootstrap >= 0 && args.bootstrap <= 100000, "--bootstrap", "must lie in 0 … 100000");
  options.bootstrap_replicates = args.bootstrap;
  options.bootstrap_seed = args.seed;
  return options;
}

}  // namespace qs::report
