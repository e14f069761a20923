#!/usr/bin/env bash
# Compiles every source file for aarch64 (Debian's g++-aarch64-linux-gnu cross compiler), so no
# x86 intrinsic or x86-only assumption escapes the dispatched kernels (core/cpu_dispatch.h).
# -Wno-psabi: GCC notes that std::pair arguments are passed as C++14 did (an ABI remark, not a
# defect). Front end only (-fsyntax-only: an x86 intrinsic or builtin is an undeclared name there): the
# libraries' aarch64 builds are not installed to link against, their headers are shared.
# Usage: scripts/check_aarch64.sh   (installs the cross compiler if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v aarch64-linux-gnu-g++ >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends g++-aarch64-linux-gnu >/dev/null
fi
OPENBLAS_INCLUDE="/usr/include/$(gcc -print-multiarch)/openblas-openmp"
# -idirafter: the host's /usr/include only for the header-only libraries (json, CLI11, toml++,
# Highway, SQLite, bzip2); the C library's headers come from the cross toolchain.
find src -name '*.cpp' -print0 | xargs -0 -P "$(nproc)" -I{} aarch64-linux-gnu-g++ -std=c++20 -O1 -fopenmp \
  -Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-psabi -Werror -DQS_SOURCE_DIR='"."' -DTOML_HEADER_ONLY=0 \
  -Isrc -I"$OPENBLAS_INCLUDE" -idirafter /usr/include -fsyntax-only {}
count=$(find src -name '*.cpp' | wc -l)
echo "check_aarch64: $count source files compile for aarch64 ($(aarch64-linux-gnu-g++ --version | head -1))"
