// One sweep point end to end at real shapes: GPTQ 4-bit g128 of a random BF16 checkpoint with
// Qwen3-0.6B's shapes and Qwen3's real tokenizer (vocab 151936), then every task of the L1, L2
// and L3 strata and WikiText-2 perplexity, through the functions `quantscale sweep` runs for a
// point (sweep/pipeline_runner.h: quantize_point, evaluate_point_tasks, measure_point_perplexity)
// with a paper study's settings (calibration windows of 2048 tokens, perplexity ctx 2048) cut
// down to minutes. Per stage: wall and CPU seconds, FLOPs counted from the shapes
// (bench_support.h: ForwardFlops; GPTQ's phases below), the fraction of the sgemm / dgemm peak
// measured in the same run, and the peak RSS. docs/engine.md ("A whole sweep point") records it.
//   QS_POINT_CB=8 ./build/bench/qs_bench --benchmark_filter=Point
// (54 min on the shared 2-core VM at load 4-9 with QS_POINT_LIMIT=8; GPTQ is 31 of them.)
// Environment: QS_POINT_CB (calibration windows of 2048 tokens, default 8), QS_POINT_LIMIT
// (documents per task, default 20), QS_POINT_MMLU_LIMIT (per MMLU subject, default 1: 57
// documents), QS_POINT_PPL_TOKENS (perplexity tokens, default 8192: 4 windows), QS_POINT_LAYERS
// (decoder blocks, default 28).
// The weights are random, so generation never meets a stop string and runs to max_gen_toks
// (256): the generative tasks' costs are those of the longest answers.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.h"
#include "core/error.h"
#include "core/shared_paths.h"
#include "eval/task_loaders.h"
#include "eval/task_registry.h"
#include "point_stages.h"
#include "sweep/grid.h"
#include "sweep/pipeline_runner.h"
#include "sweep/task_selection.h"
#include "tokenizer/tokenizer.h"

namespace {

using namespace qs::bench_support;

int64_t env_int(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoll(value) : fallback;
}

struct PointSettings {
  int64_t calib_samples = env_int("QS_POINT_CB", 8);
  int64_t limit = env_int("QS_POINT_LIMIT", 20);
  int64_t mmlu_limit = env_int("QS_POINT_MMLU_LIMIT", 1);
  int64_t ppl_tokens = env_int("QS_POINT_PPL_TOKENS", 8192);
  int64_t layers = env_int("QS_POINT_LAYERS", 28);  // fewer: a quick check of the harness
};

// The paper study's point (studies/paper.toml: GPTQ, B 4, G 128, windows of 2048 tokens,
// perplexity ctx 2048, strata l1 l2 l3) on the random checkpoint, read by the product's parser.
qs::Study point_study(const std::string& model_dir, const PointSettings& s) {
  const std::string toml = "[study]\nname = \"point_bench\"\noutput = \"" + scratch_dir() + "/runs\"\n" +
                           "[[model]]\nname = \"qwen3-0.6b-shapes\"\npath = \"" + model_dir + "\"\n" +
                           "[quantization]\nmethods = [\"gptq\"]\nbits = [4]\ngroup_sizes = [128]\n" +
                           "calib_samples = [" + std::to_string(s.calib_samples) + "]\nseeds = [0]\n" +
                           "calib_source = \"${shared}/calibration/wikitext2_train_5k.txt\"\ncalib_seq_len = 2048\n" +
                           "[evaluation]\ntasks = [\"l1\", \"l2\", \"l3\"]\nlimit = " + std::to_string(s.limit) + "\n" +
                           "[perplexity]\ntext = \"${shared}/text/wikitext2/wiki.test.raw\"\nctx = 2048\nmax_tokens = " +
                           std::to_string(s.ppl_tokens) + "\n";
  return qs::parse_study(toml, scratch_dir() + "/point_bench.toml");
}

qs::SweepPoint gptq_point(const qs::Study& study) {
  for (const qs::SweepPoint& point : qs::expand_grid(study))
    if (point.method == qs::QuantMethod::Gptq) return point;
  throw qs::Error("point_bench", "the study has no GPTQ point");
}

// Documents in the task's evaluation split (every MMLU subject), as the evaluator loads them.
int64_t split_documents(const std::string& task) {
  const qs::TaskRegistry registry = qs::TaskRegistry::builtin();
  return static_cast<int64_t>(
      qs::load_task_data(registry.get(task), qs::shared_path("benchmarks"), qs::RowPolicy::Fail).docs.size());
}

// The point's quantization, timed, with GPTQ's phases as rows of their own.
std::unique_ptr<qs::Transformer> quantize_stage(const qs::Study& study, const qs::SweepPoint& point,
                                                const qs::Tokenizer& tokenizer, StageTable& table) {
  qs::PointResult result;
  qs::QuantizeReport report;
  StageMeter meter;
  auto model = qs::quantize_point(study, point, {}, qs::ModelFolder::open(point.model_path), tokenizer, result, &report);
  const int64_t windows = point.calib_samples + qs::QuantizeOptions{}.heldout_samples;
  const GptqFlops flops = gptq_flops(*model, windows, study.calib_seq_len);
  table.add(meter.finish("quantize (GPTQ B4 G128, Cb " + std::to_string(point.calib_samples) + ")", flops.fp32(),
                         flops.fp64()));
  table.add_gptq_phases(report, meter.wall_seconds(), flops);
  return model;
}

// Each task of the study alone (the evaluator runs them one after another in any case), so that
// every task is a row; MMLU's limit counts per subject.
void evaluate_stage(const qs::Study& study, const PointSettings& s, MeteredLM& lm, StageTable& table) {
  for (const qs::SelectedTask& task : qs::select_tasks(study.tasks, "point_bench")) {
    qs::Study one = study;
    one.tasks = {task.name};
    if (task.name == "mmlu") one.limit = s.mmlu_limit;
    const int64_t available = split_documents(task.name);
    qs::PointResult result;
    lm.reset_counts();
    StageMeter meter;
    qs::evaluate_point_tasks(one, lm, result);
    StageRow row = meter.finish(task.stratum + " " + task.name, lm.flops(), 0);
    row.docs = result.metrics.empty() ? 0 : result.metrics.front().n_samples;
    row.docs_available = available;
    row.generation = lm.generation();
    table.add(row);
  }
}

void perplexity_stage(const qs::Study& study, MeteredLM& lm, StageTable& table) {
  qs::PointResult result;
  StageMeter meter;
  qs::measure_point_perplexity(study, lm.inner(), result);
  table.add(meter.finish("perplexity (wikitext-2, ctx 2048)", perplexity_flops(lm.flop_model(), result.ppl_tokens + 1, study.ppl_ctx), 0));
}

void BM_PointQwen3_0_6B(benchmark::State& state) {
  const PointSettings settings;
  StageTable table(measure_gemm_peak(false, 3), measure_gemm_peak(true, 2));
  // Weights at a tenth of the writer's default scale: at 1.0 the logits' spread (~32 over 151936
  // entries) makes the mean NLL exceed what exp() can return, and the point fails as "perplexity
  // is not finite". The costs measured do not depend on the values.
  const std::string dir = qwen3_shapes_checkpoint(settings.layers, 0.1);
  const qs::Study study = point_study(dir, settings);
  const qs::SweepPoint point = gptq_point(study);
  for (auto _ : state) try {
      auto tokenizer = qs::Tokenizer::load(point.model_path);
      auto model = quantize_stage(study, point, *tokenizer, table);
      MeteredLM lm(std::make_unique<qs::TransformerLM>(std::move(model), std::move(tokenizer)));
      perplexity_stage(study, lm, table);
      evaluate_stage(study, settings, lm, table);
    } catch (const std::exception& e) {
      // A normal exit, so that the scratch folder (the checkpoint: 1.2 GB) is removed.
      state.SkipWithError(e.what());
      return;
    }
  table.update_peaks(measure_gemm_peak(false, 2), measure_gemm_peak(true, 2));
  table.add_strata_totals();
  table.set_counters(state);
  std::fputs(table.markdown().c_str(), stderr);
}
BENCHMARK(BM_PointQwen3_0_6B)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
