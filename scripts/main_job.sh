#!/usr/bin/env bash
# The main job: install, build, then run the default study on the models and data in ../shared.
# Installs and builds only what it runs: the `quantscale` binary (no tests, benchmarks, PyTorch,
# Chromium or Slurm; `bash scripts/install_deps.sh` + `bash scripts/build.sh` give a developer tree).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh --main
if [ ! -f build/CMakeCache.txt ]; then  # a developer's build/ keeps its options
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DQS_WERROR=ON -DQS_TESTS=OFF -DQS_BENCH=OFF
fi
cmake --build build -j "$(nproc)" --target quantscale
SHARED="${QS_SHARED_DIR:-$(cd .. && pwd)/shared}"
if [ -f studies/default.toml ] && ./build/quantscale study --help >/dev/null 2>&1; then
  ./build/quantscale study studies/default.toml
else
  for model in "$SHARED"/models/*/; do
    ./build/quantscale info "$model"
    ./build/quantscale ppl "$model" --text "$SHARED/text/wikitext2/wiki.test.raw"
  done
fi
