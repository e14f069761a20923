#!/usr/bin/env bash
# The unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-san/, shared with
# the fuzz targets). QS_SANITIZER_BUILD=1 lets the heaviest numerical tests run on fewer
# documents/tokens (they run in full in the Release build); every test still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build_sanitized.sh quantscale qs_tests
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# Leak detection stays off: OpenMP/OpenBLAS keep per-thread runtime buffers until exit.
# SweepKillReal (random SIGKILLs of real sweeps, 4 min under ASan) runs in the Release suite
# only: it tests process-level recovery, which the sanitizers add nothing to, and it alone would
# hold one of CI's two cores for most of this run.
(cd build-san && QS_SANITIZER_BUILD=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$(nproc)" --timeout 1800 \
  -LE sweep_kill_real)
