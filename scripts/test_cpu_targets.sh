#!/usr/bin/env bash
# Runs the numerical tests (the suites whose results go through the run-time dispatched kernels:
# vector math, norms, activations, attention, the scorer, widening, GPTQ's column loop) once per
# kernel target this CPU supports other than the best one, which the full ctest run covers.
# Usage: scripts/test_cpu_targets.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
NUMERICAL='(^|/)(Half|Transformer|TransformerLM|TokenScorer|ForwardParity|RealModel|Perplexity|EvalTorchReference|GptqReference|GptqFactor|GptqWeight|QuantizeModel|Calibration|PplCommand|SmallBatchProduct)\.'
# The 8,312-request loglikelihood reference (5 min) runs once, in the full suite; per target, the
# same kernels are checked by the forward-parity, perplexity and greedy-generation references.
ONCE='EvalTorchReference\.Loglikelihood'
read -r -a targets <<<"$("$BUILD_DIR/quantscale" info --cpu --json | /usr/bin/python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin)["supported"]))')"
best="${targets[${#targets[@]}-1]}"
echo "== kernel targets this CPU runs: ${targets[*]} (the full suite ran on $best)"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
for target in "${targets[@]}"; do
  [ "$target" = "$best" ] && continue
  echo "== numerical tests with QS_CPU=$target: $(QS_CPU="$target" "$BUILD_DIR/quantscale" --version)"
  (cd "$BUILD_DIR" && QS_CPU="$target" ctest --output-on-failure -j "$(nproc)" --timeout 1800 -R "$NUMERICAL" -E "$ONCE")
done
