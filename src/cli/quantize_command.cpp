// quantscale quantize MODEL --method gptq|rtn --bits B --group-size G --calib FILE ... --out DIR
#include <cstdio>

#include "cli/command_registry.h"
#include "core/atomic_file.h"
#include "quant/quantize_model.h"

namespace qs::cli {
namespace {

struct QuantizeArgs {
  std::string model, out, report;
  std::string method = "gptq";  // checked as a name by CLI11, stored as QuantMethod in run_quantize()
  bool overwrite = false;
  QuantizeOptions options;
  bool asym = false, sym = false;  // --sym is the default, accepted for older command lines
  double activation_budget_gib = -1;  // < 0: QuantizeOptions' default
};

int run_quantize(QuantizeArgs& args) {
  args.options.method = parse_method(args.method).value();
  if (args.asym) args.options.gptq.grid.sym = false;
  if (args.activation_budget_gib >= 0)
    args.options.activation_budget_bytes = static_cast<int64_t>(args.activation_budget_gib * double(int64_t{1} << 30));
  QuantizeReport report = quantize_model(args.model, args.options, args.out, args.overwrite);
  int64_t measured = 0, gptq_better = 0;
  for (const auto& layer : report.layers) {
    if (layer.output_error < 0) continue;
    ++measured;
    gptq_better += layer.output_error < layer.rtn_output_error;
  }
  std::printf("wrote %s (%s, %d-bit, group size %d)\n", args.out.c_str(), method_name(args.options.method).c_str(),
              args.options.gptq.grid.bits, args.options.gptq.group_size);
  std::printf("bits per weight: %.4f (quantized linears, scales and zeros included)\n", report.bits_per_weight);
  std::printf("weights: %.3f MiB (source %.3f MiB)\n", report.quantized_bytes / 1048576.0, report.source_bytes / 1048576.0);
  if (measured > 0 && args.options.method == QuantMethod::Gptq)
    std::printf("held-out output error below RTN's in %lld of %lld layers\n", static_cast<long long>(gptq_better),
                static_cast<long long>(measured));
  std::printf("time: %.2f s total = prepare %.2f + forward %.2f + hessian %.2f + cholesky %.2f + columns %.2f + other %.2f + export %.2f\n",
              report.seconds_total, report.seconds_prepare, report.seconds_forward, report.seconds_hessian,
              report.seconds_cholesky, report.seconds_columns, report.seconds_other, report.seconds_export);
  std::printf("peak RSS: %.1f MiB\n", peak_rss_bytes() / 1048576.0);
  if (report.streamed_mlp_inputs)
    std::printf("MLP activations recomputed per batch (over the activation budget: --activation-budget)\n");
  if (!args.report.empty()) write_file_atomic(args.report, report.json() + "\n");
  return 0;
}

const CommandRegistration quantize_registration{Command{
    "quantize", "quantize a checkpoint with GPTQ or RTN and write a GPTQ checkpoint folder",
    [](CLI::App& sub) -> std::function<int()> {
      auto args = std::make_shared<QuantizeArgs>();
      QuantizeOptions& o = args->options;
      sub.add_option("model", args->model, "model folder (config.json + safetensors)")->required();
      sub.add_option("--method", args->method, "gptq or rtn")->check(CLI::IsMember({"gptq", "rtn"}));
      sub.add_option("--bits", o.gptq.grid.bits, "2, 3, 4 or 8");
      sub.add_option("--group-size", o.gptq.group_size, "inputs per group, -1 = per output channel");
      sub.add_option("--calib", o.calib_file, "calibration text file (required for gptq)");
      sub.add_option("--calib-samples", o.calib_samples, "calibration windows Cb")->check(CLI::PositiveNumber);
      sub.add_option("--seq-len", o.seq_len, "tokens per calibration window")->check(CLI::PositiveNumber);
      sub.add_option("--seed", o.seed, "seed of the window sampling");
      sub.add_option("--heldout-samples", o.heldout_samples, "held-out windows for per-layer output error (0: off)")
          ->check(CLI::NonNegativeNumber);
      sub.add_flag("--act-order", o.gptq.act_order, "process columns by descending Hessian diagonal (desc_act)");
      sub.add_flag("--static-groups", o.gptq.static_groups, "group parameters fixed before act-order");
      auto* sym = sub.add_flag("--sym", args->sym, "symmetric grid, zero = 2^(bits-1) (the default; kept for compatibility)");
      sub.add_flag("--asym", args->asym,
                   "asymmetric grid (zero per group): GPTQModel refuses it from other quantizers and vLLM's Marlin "
                   "kernels take sym only (docs/quant.md)")
          ->excludes(sym);
      sub.add_option("--damp", o.gptq.damp, "dampening as a fraction of mean(diag H), 0 < damp < 1");
      sub.add_flag("--strict-vllm", o.strict_vllm, "fail (instead of warning) on shapes vLLM's gptq kernel cannot load");
      sub.add_flag("--true-sequential", o.true_sequential, "quantize q/k/v, o, gate/up, down on refreshed inputs");
      sub.add_option("--activation-budget", args->activation_budget_gib,
                     "GiB of d_ff-wide MLP activations --true-sequential may hold for all calibration tokens; above, "
                     "they are recomputed per batch (same codes; default: a quarter of physical memory)")
          ->check(CLI::Range(0.0, 1048576.0));  // GiB, up to 1 PiB (NonNegativeNumber's message prints DBL_MAX)
      sub.add_flag("--lm-head", o.quantize_lm_head,
                   "quantize the output projection too (GPTQModel's lm_head=True, which vLLM reads; stored untied; "
                   "docs/quant.md)");
      sub.add_flag("--mse", o.gptq.grid.mse, "search the clipping range minimising |error|^2.4");
      sub.add_option("--out", args->out, "output folder (written atomically; must be missing or empty)")->required();
      sub.add_flag("--overwrite", args->overwrite, "replace a non-empty --out folder that quantscale wrote earlier");
      sub.add_option("--report", args->report, "write the per-layer report as JSON here");
      return [args] { return run_quantize(*args); };
    }}};

}  // namespace
}  // namespace qs::cli
