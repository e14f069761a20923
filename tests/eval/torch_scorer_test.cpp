// Independent scoring reference on the shipped model: tests/reference/torch_scorer.py (lm-eval's
// request semantics over the float64 PyTorch forward torch_forward.py) recomputes every
// request quantscale sent for the first 200 documents of each loglikelihood task (MMLU: the
// first 4 of each of its 57 subjects) and the greedy continuations of the first 50 documents of
// each generative task.
// Tolerances come from the error model of tests/float_error_model.h (fp32 forward against an
// exact one: logprob_error_bound per scored token), not from one CPU's results. Decisions
// (greedy flags, acc, acc_norm, generated tokens) must agree wherever the reference's margin
// exceeds what float error can move; where it does not (a near-tie), the disagreement is
// counted, listed with its document and bounded. The reference takes token ids produced by our
// tokenizer (tokenizer parity is tested apart).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "eval/evaluator.h"
#include "eval/task_registry.h"
#include "float_error_model.h"
#include "io/model_config.h"
#include "model/transformer_lm.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

using nlohmann::json;

// At most this fraction of decisions may go the other way at a near-tie (and only there).
constexpr double kMaxNearTieFlips = 0.001;

// The per-token logprob bound of tests/float_error_model.h for this checkpoint's shapes.
double per_token_bound(const std::string& model_dir, double max_abs_logit) {
  const ModelConfig c = load_model_config(model_dir + "/config.json");
  return test::logprob_error_bound(c.n_layers, std::max(c.d_model, c.d_ff), max_abs_logit);
}

// A decision that may differ from the reference: where, and the margin that allowed it.
struct NearTie {
  std::string what;
  double margin;
  double allowed;
};

void report_near_ties(const std::vector<NearTie>& ties, size_t decisions) {
  for (const NearTie& t : ties)
    std::printf("[torch reference] near-tie decided the other way: %s (reference margin %.3g <= %.3g)\n", t.what.c_str(),
                t.margin, t.allowed);
  EXPECT_LE(static_cast<double>(ties.size()), std::max(1.0, kMaxNearTieFlips * static_cast<double>(decisions)))
      << ties.size() << " near-tie flips in " << decisions << " decisions";
}

// The sanitizer build (scripts/test.sh) repeats these checks on fewer documents: the full
// counts run in the normal build; under ASan the forward pass is ~10x slower.
int64_t docs(int64_t full) { return std::getenv("QS_SANITIZER_BUILD") != nullptr ? std::max<int64_t>(full / 10, 1) : full; }

std::unique_ptr<LanguageModel> shipped_model(const std::string& dir) {
  return std::make_unique<TransformerLM>(Transformer::load(dir), Tokenizer::load(dir));
}

json run_reference(const std::string& model_dir, const json& requests, const std::string& name) {
  qs::test::ScratchDir dir("torch_scorer_" + name);
  std::ofstream(dir.file("requests.json")) << requests.dump();
  auto result = qs::test::run_reference("torch_scorer.py", model_dir + " " + dir.file("requests.json") + " " + dir.file("out.json"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::ifstream in(dir.file("out.json"));
  return json::parse(in);
}

EvalResults evaluate(LanguageModel& model, const std::string& tasks, int64_t limit, const std::string& task_config = "") {
  EvalOptions options;
  options.tasks = split_task_list(tasks);
  options.limit = limit;
  options.shots = 0;
  options.progress = false;
  options.log_samples = true;
  options.bootstrap_iters = 0;
  options.task_config = task_config;
  options.data_dir = qs::test::shared_file("benchmarks");
  return run_evaluation(model, options);
}

size_t index_of_max(const std::vector<double>& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

// Python's len() of a UTF-8 string: code points, not bytes (PIQA has "it’s").
size_t code_points(const std::string& text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0u) != 0x80u;
  return count;
}

TEST(EvalTorchReference, LoglikelihoodTasksAgreeWithinTolerance) {
  std::string model_dir = qs::test::shared_file("models/tinystories-656k");
  auto model = shipped_model(model_dir);
  TaskRegistry registry = TaskRegistry::builtin();
  std::vector<EvalResults> runs;
  std::string names;
  for (const auto& spec : registry.tasks())
    if (spec.output_type != OutputType::GenerateUntil && spec.name != "mmlu") names += (names.empty() ? "" : ",") + spec.name;
  runs.push_back(evaluate(*model, names, docs(200)));
  runs.push_back(evaluate(*model, "mmlu", docs(4)));

  // One reference call for every request of every task.
  json requests = {{"loglikelihood", json::array()}};
  for (const auto& run : runs)
    for (const auto& task : run.tasks)
      for (const auto& sample : task.samples)
        for (const auto& request : sample["requests"])
          requests["loglikelihood"].push_back({request["context_tokens"], request["continuation_tokens"]});
  json reference = run_reference(model_dir, requests, "ll");
  ASSERT_EQ(reference["loglikelihood"].size(), requests["loglikelihood"].size());

  size_t index = 0, n_requests = 0, n_decisions = 0;
  double worst = 0, worst_fraction = 0;
  std::vector<NearTie> ties;
  for (const auto& run : runs)
    for (const auto& task : run.tasks) {
      const TaskSpec& spec = registry.get(task.name);
      // With a tokenizer that merges across the word boundary (the shipped one), a continuation
      // can come out empty; those requests are reported with their document ids, not scored.
      EXPECT_EQ(task.empty_continuations, static_cast<int64_t>(task.empty_continuation_docs.size())) << task.name;
      EXPECT_GE(task.n_docs, spec.name == "copa" ? std::min<int64_t>(100, docs(200)) : spec.name == "mmlu" ? 57 * docs(4) : docs(200)) << task.name;
      for (const auto& sample : task.samples) {
        const std::string where = task.name + " doc " + sample["doc_id"].dump();
        std::vector<double> ours, theirs, errors, lengths;
        for (const auto& request : sample["requests"]) {
          const json& ref = reference["loglikelihood"][index++];
          const double ll = request["logprob"].get<double>(), ref_ll = ref[0].get<double>();
          const auto n_tokens = static_cast<double>(request["continuation_tokens"].size());
          // Each scored token within the per-token bound; their errors add.
          const double token_bound = per_token_bound(model_dir, ref[3].get<double>());
          const double error = std::fabs(ll - ref_ll);
          worst = std::max(worst, error);
          worst_fraction = std::max(worst_fraction, error / (n_tokens * token_bound));
          EXPECT_LE(error, n_tokens * token_bound) << where;
          // The greedy flag flips only if some position's margin (a difference of two
          // log-probabilities: twice a logit's error) crosses zero.
          const double greedy_margin = ref[2].get<double>();
          if (request["is_greedy"].get<bool>() != ref[1].get<bool>()) {
            ties.push_back({where + " greedy flag", std::fabs(greedy_margin), token_bound});
            EXPECT_LE(std::fabs(greedy_margin), token_bound) << where << ": greedy flag differs at a clear margin";
          }
          ours.push_back(ll);
          theirs.push_back(ref_ll);
          errors.push_back(error);
          std::string choice = request["continuation"].get<std::string>().substr(spec.target_delimiter.size());
          lengths.push_back(static_cast<double>(code_points(choice)));  // lm-eval: Python len(choice)
          ++n_requests;
          ++n_decisions;
        }
        const json& metrics = sample["metrics"];
        if (spec.output_type == OutputType::MultipleChoice) {
          const size_t gold = sample["gold"].get<size_t>();
          // acc / acc_norm: the argmax of our scores must be the reference's unless the
          // reference's gap between the two choices is within our actual errors on them.
          const auto check = [&](const std::string& metric, const std::vector<double>& scale) {
            std::vector<double> mine, exact;
            for (size_t i = 0; i < theirs.size(); ++i) {
              mine.push_back(ours[i] / scale[i]);
              exact.push_back(theirs[i] / scale[i]);
            }
            const size_t a = index_of_max(mine), b = index_of_max(exact);
            EXPECT_EQ(metrics[metric].get<double>(), a == gold ? 1.0 : 0.0) << where << " " << metric << " from our scores";
            if (a != b) {
              const double gap = exact[b] - exact[a], allowed = errors[a] / scale[a] + errors[b] / scale[b];
              ties.push_back({where + " " + metric, gap, allowed});
              EXPECT_LE(gap, allowed) << where << " " << metric << " differs at a clear margin";
            }
            ++n_decisions;
          };
          check("acc,none", std::vector<double>(theirs.size(), 1.0));
          if (metrics.contains("acc_norm,none")) check("acc_norm,none", lengths);
        } else {
          EXPECT_EQ(metrics["acc,none"].get<double>(), sample["requests"].back()["is_greedy"].get<bool>() ? 1.0 : 0.0)
              << task.name;
        }
      }
    }
  report_near_ties(ties, n_decisions);
  std::printf("[torch reference] %zu requests, %zu decisions, worst |delta logprob| = %.3g (%.3g of its bound)\n",
              n_requests, n_decisions, worst, worst_fraction);
}

TEST(EvalTorchReference, GreedyGenerationsAreTokenIdentical) {
  std::string model_dir = qs::test::shared_file("models/tinystories-656k");
  auto model = shipped_model(model_dir);
  // Generation length capped at 64 tokens here to keep the float64 reference (no KV cache) quick.
  qs::test::ScratchDir dir("torch_scorer_gen");
  std::ofstream(dir.file("cap.toml")) << "[[task]]\nname = \"gsm8k\"\nmax_gen_toks = 64\n[[task]]\nname = \"triviaqa_sm_sub\"\nmax_gen_toks = 64\n"
                                         "[[task]]\nname = \"nq_open\"\nmax_gen_toks = 64\n";
  EvalResults run = evaluate(*model, "triviaqa_sm_sub,nq_open,gsm8k", docs(50), dir.file("cap.toml"));
  json requests = {{"generate", json::array()}};
  for (const auto& task : run.tasks)
    for (const auto& sample : task.samples) {
      const json& request = sample["requests"][0];
      requests["generate"].push_back({request["context_tokens"], request["generated_tokens"].size()});
    }
  json reference = run_reference(model_dir, requests, "gen");
  size_t index = 0, tokens = 0;
  std::vector<NearTie> ties;
  const Tokenizer& tokenizer = model->tokenizer();
  for (const auto& task : run.tasks) {
    const TaskSpec spec = TaskRegistry::builtin().get(task.name);
    ASSERT_EQ(static_cast<int64_t>(task.samples.size()), docs(50)) << task.name;
    for (const auto& sample : task.samples) {
      const std::string where = task.name + " doc " + sample["doc_id"].dump();
      auto ours = sample["requests"][0]["generated_tokens"].get<std::vector<int32_t>>();
      const auto theirs = reference["generate"][index].get<std::vector<int32_t>>();
      const auto margins = reference["generate_margins"][index++].get<std::vector<double>>();
      // Identical up to the first step where the two disagree; that step must be a near-tie of
      // the reference (top-1 minus top-2 logit within twice a logit's error bound), after which
      // the continuations are no longer comparable.
      size_t step = 0;
      while (step < ours.size() && step < theirs.size() && ours[step] == theirs[step]) ++step;
      if (step < ours.size() && step < theirs.size()) {
        const double allowed = per_token_bound(model_dir, reference["generate_max_abs_logit"][index - 1].get<double>());
        ties.push_back({where + " step " + std::to_string(step), margins[step], allowed});
        EXPECT_LE(margins[step], allowed) << where << ": generation diverges at step " << step << " at a clear margin";
        tokens += step;
        continue;
      }
      EXPECT_EQ(ours.size(), theirs.size()) << where;
      tokens += ours.size();
      // Stopped early only at EOS or right when a stop string appeared.
      if (ours.size() < 64 && !ours.empty() && ours.back() != *tokenizer.eos_id()) {
        std::string text = tokenizer.decode(ours, true);
        bool has_stop = false;
        for (const auto& stop : spec.until) has_stop |= text.find(stop) != std::string::npos;
        EXPECT_TRUE(has_stop) << task.name << " doc " << sample["doc_id"] << ": " << text;
      }
    }
  }
  report_near_ties(ties, index);
  std::printf("[torch reference] %zu generations, %zu tokens identical\n", index, tokens);
}

}  // namespace
}  // namespace qs
