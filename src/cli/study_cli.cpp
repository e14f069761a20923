#include "cli/study_cli.h"

#include "core/error.h"
#include "law/recommend.h"

namespace qs::cli {

void add_study_options(CLI::App& app, StudyArgs& args) {
  app.add_option("--factors", args.factors, "factors in the law, comma-separated from N,B,G,Cb")
      ->capture_default_str();
  app.add_option("--response", args.response, "acc (accuracy strata + General), ppl (L0 perplexity law) or both")
      ->capture_default_str();
  app.add_option("--method", args.method, "quantizer to fit: auto (gptq if present, else rtn), gptq, rtn")
      ->capture_default_str();
  app.add_option("--n", args.n_definition, "parameter count used as N: total or nonembed")->capture_default_str();
  app.add_option("--se", args.se,
                 "covariance of every SE, CI, test and prediction interval: cluster (by model, CR2 with "
                 "Bell–McCaffrey df), cr1 (statsmodels' cluster, t(G−1)), hc3 or classical (both treat points as "
                 "independent)")
      ->capture_default_str();
  app.add_option("--estimator", args.estimator,
                 "ols; wls (weights 1/se_y² from acc_stderr by the delta method); or binomial (maximum likelihood "
                 "on the correct/total counts on the accuracy scale, rows near chance and at the ceiling kept; "
                 "needs n_docs). L0 stays OLS")
      ->capture_default_str();
  app.add_option("--exclude-bits", args.exclude_bits, "bit widths left out of every fit, e.g. 2 (as the paper does)");
  app.add_option("--collapse-sigmas", args.collapse_sigmas,
                 "k of the collapse rule: rows with Acc_adj <= k·SE are at chance, and (stratum, model, bits) cells "
                 "where most rows are, left out whole")
      ->capture_default_str();
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
  options.se_kind = law::parse_se_kind(args.se);
  options.estimator = law::parse_estimator(args.estimator);
  if (!args.exclude_bits.empty()) options.prep.exclude_bits = law::parse_int_list(args.exclude_bits, "--exclude-bits");
  require(args.collapse_sigmas >= 0 && args.collapse_sigmas <= 10, "--collapse-sigmas", "must lie in 0 … 10");
  options.prep.collapse_sigmas = args.collapse_sigmas;
  options.bootstrap_seed = args.seed;
  return options;
}

}  // namespace qs::cli
