#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs dependencies, builds with
# warnings as errors, runs every test, runs them again under ASan + UBSan, then the fuzzers
# (40 s each here, QS_FUZZ_SECONDS; in the same sanitized build) and a real Slurm run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; fi

bash scripts/build.sh build
# Tests run two at a time; one BLAS/OpenMP thread each keeps the 2-core machine from thrashing.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 1800)

# The numerical tests again on every other kernel target this CPU runs (core/cpu_dispatch.h:
# QS_CPU caps the run-time dispatch), so an AVX-512 machine checks the AVX2 and portable paths.
bash scripts/test_cpu_targets.sh build

# The second build: the same tests under ASan + UBSan (build-san, shared with the fuzzers below).
bash scripts/test_sanitizers.sh

# CI has 2 cores and a 35-minute budget: 40 s per fuzz target keeps the whole run inside it.
export QS_FUZZ_SECONDS="${QS_FUZZ_SECONDS:-40}"
for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $extra"
  bash "$extra"
done
echo "all tests passed"
