#!/usr/bin/env bash
# The unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (second build in build-asan).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQS_SANITIZE=ON -DQS_NATIVE=OFF
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
(cd build-asan && QS_SANITIZER_BUILD=1 ASAN_OPTIONS=detect_leaks=0 \
  ctest --output-on-failure -j "$(nproc)" --timeout 1800)
