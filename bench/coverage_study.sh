#!/usr/bin/env bash
# Issue 15's coverage study at full size: 200 replicated sweeps (8 models, binomial noise,
# per-model offsets sd 0.08) through the default cluster-robust inference, classical beside.
# Prints per stratum and exponent the 95% CI coverage and the held-out largest model's 95%
# prediction-interval coverage; fails outside 0.90–0.98. About 30 s on one core.
# Usage: bench/coverage_study.sh [build-dir] [replicates]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
QS_COVERAGE_REPLICATES="${2:-200}" OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
  "$BUILD_DIR/tests/qs_tests" --gtest_filter='LawCoverage.*'
