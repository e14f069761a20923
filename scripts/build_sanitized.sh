#!/usr/bin/env bash
# Configures and builds the one sanitized build, build-san/ (clang, AddressSanitizer +
# UndefinedBehaviorSanitizer that aborts on the first finding, libFuzzer coverage hooks): the
# unit tests run in it (scripts/test_sanitizers.sh) and so do the fuzz targets
# (scripts/test.d/fuzz_*.sh), so CI compiles the code base with sanitizers once, not twice.
# Usage: scripts/build_sanitized.sh [targets...]   (default: everything)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build-san/build.ninja ]; then
  # Line tables only: sanitizer and fuzzer reports still give file:line for every frame, and the
  # build (11.5 min of CI's 34 with full -g) compiles and links less debug information.
  # Unity build, 16 .cpp files to a translation unit: GoogleTest, nlohmann/json, CLI11 and the
  # rest are parsed, and their inline functions instrumented and optimized, once per batch
  # instead of once per file. quantscale + qs_tests, cold, ccache off, user+sys CPU on the
  # 2-core machine: 1090 s per file (189 objects), 609 s in 23 steps (-44%, about 4 min of
  # wall time on 2 cores); the ASan ctest after it took the same CPU time (279 s vs 286 s).
  # Only this build: the Release build stays per file, so every file must still include what it
  # uses. The per-target Highway files compile on their own (CMakeLists.txt).
  CC=clang CXX=clang++ cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQS_FUZZ=ON \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" \
    -DQS_BENCH=OFF -DQS_NATIVE=OFF -DQS_WERROR=OFF \
    -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
fi
if [ "$#" -gt 0 ]; then
  cmake --build build-san -j "$(nproc)" --target "$@"
else
  cmake --build build-san -j "$(nproc)"
fi
