#!/usr/bin/env bash
# Installs every Debian package quantscale needs to build, test and benchmark (idempotent).
# Usage: scripts/install_deps.sh [--main]
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(
  build-essential cmake ninja-build pkg-config git clang libclang-rt-14-dev
  libopenblas-dev libopenblas-openmp-dev liblapacke-dev nlohmann-json3-dev libcli11-dev libsqlite3-dev sqlite3
  libtomlplusplus-dev libhwy-dev libgtest-dev libgmock-dev libbenchmark-dev libbz2-dev
  libyaml-cpp-dev libpcre2-dev
  python3-torch python3-numpy python3-statsmodels python3-jinja2
  chromium
  slurm-wlm munge
)
# `--main`: only what scripts/main_job.sh builds and runs (quantscale itself), none of the test
# and benchmark tools (GoogleTest, PyTorch, Chromium, Slurm: hundreds of MB).
MAIN_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libopenblas-dev libopenblas-openmp-dev liblapacke-dev nlohmann-json3-dev libcli11-dev libsqlite3-dev
  libtomlplusplus-dev libhwy-dev libbz2-dev libyaml-cpp-dev libpcre2-dev
)
if [ "${1:-}" = "--main" ]; then PACKAGES=("${MAIN_PACKAGES[@]}"); fi
# Always refresh the package lists: a fresh machine has none, and installs are idempotent.
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}"
