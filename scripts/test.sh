#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs dependencies, builds with
# warnings as errors, runs every test, then the unit tests again under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; fi

bash scripts/build.sh build
# Tests run two at a time; one BLAS/OpenMP thread each keeps the 2-core machine from thrashing.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 1800)

# Second build: the same unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQS_SANITIZE=ON -DQS_NATIVE=OFF
(cd build-asan && QS_SANITIZER_BUILD=1 ASAN_OPTIONS=detect_leaks=0 \
  ctest --output-on-failure -j "$(nproc)" --timeout 1800)

for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $extra"
  bash "$extra"
done
echo "all tests passed"
