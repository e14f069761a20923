#!/usr/bin/env bash
# The engine's speed table in one run (docs/engine.md): sgemm peak and sgemm at the models'
# shapes, quantscale prefill (tok/s, fraction of the sgemm peak, peak RSS / file) of the shipped
# model and of random fp32 checkpoints at the shapes of Qwen3-0.6B and Pythia-160m, then the
# same prefill in PyTorch 1.13 (Debian python3-torch) on the same checkpoints and threads.
# Usage: scripts/bench_engine.sh [threads, default nproc]   (needs build/ from scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${1:-$(nproc)}"
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
./build/bench/qs_bench --benchmark_filter='Sgemm|ModelShape' --benchmark_counters_tabular=true
# Each prefill in a process of its own, so that its peak RSS is that model's alone (not the heap
# an earlier benchmark left behind).
# Every repetition's fraction of the peak (each against the peak measured beside it) from the
# JSON output, after the aggregates the console shows.
# With QS_BENCH_NATIVE=DIR (a build configured with -DQS_NATIVE=ON, e.g.
# `bash scripts/build.sh build-native -DQS_NATIVE=ON`), each prefill runs again with that build's
# bench right after the portable one, for the portable-vs-native comparison (docs/engine.md).
prefill() {  # build-dir model label
  local json="${TMPDIR:-/tmp}/qs_bench_prefill_$2_$3.json"
  "./$1/bench/qs_bench" --benchmark_filter="ForwardPrefill/$2" --benchmark_counters_tabular=true \
    --benchmark_out="$json" --benchmark_out_format=json | grep -E 'Forward|Benchmark'
  python3 -c 'import json, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b.get("run_type") == "iteration"]
print("== %s (%s), each repetition: of_sgemm_peak %s, tok/s %s" % (sys.argv[2], sys.argv[3],
      " ".join("%.3f" % b["of_sgemm_peak"] for b in runs), " ".join("%.1f" % b["tok/s"] for b in runs)))' "$json" "$2" "$3"
}
echo "== kernels: $(./build/quantscale --version)"
for model in tinystories_bf16 tinystories_fp32 pythia160m qwen3_0_6b; do
  prefill build "$model" portable
  if [ -n "${QS_BENCH_NATIVE:-}" ]; then prefill "$QS_BENCH_NATIVE" "$model" native; fi
done
# PyTorch twice: as Debian installs it (BLAS through the alternatives, the pthread OpenBLAS) and
# with the OpenMP OpenBLAS quantscale links, which avoids the same two-thread-pool contention.
OPENMP_BLAS="/usr/lib/$(gcc -print-multiarch)/openblas-openmp"
for model in pythia-160m qwen3-0.6b; do
  # forward_bench wrote these checkpoints under the temp directory on its first run.
  checkpoint="${TMPDIR:-/tmp}/qs_bench_$model"
  echo "== PyTorch prefill, $model: $(/usr/bin/python3 tests/reference/torch_prefill_bench.py "$checkpoint" 4 512 "$THREADS")"
  echo "== PyTorch prefill (OpenMP OpenBLAS), $model: $(LD_LIBRARY_PATH="$OPENMP_BLAS" /usr/bin/python3 \
    tests/reference/torch_prefill_bench.py "$checkpoint" 4 512 "$THREADS")"
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
