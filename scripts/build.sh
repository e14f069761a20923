#!/usr/bin/env bash
# Configures and builds quantscale into build/ (Release, warnings as errors).
# Usage: scripts/build.sh [build-dir] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
shift || true
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQS_WERROR=ON "$@"
cmake --build "$BUILD_DIR" -j "$(nproc)"
