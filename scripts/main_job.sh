#!/usr/bin/env bash
# The main job: install, build, then run the default study on the models and data in ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh build
SHARED="${QS_SHARED_DIR:-$(cd .. && pwd)/shared}"
if [ -f studies/default.toml ] && ./build/quantscale study --help >/dev/null 2>&1; then
  ./build/quantscale study studies/default.toml
else
  for model in "$SHARED"/models/*/; do
    ./build/quantscale info "$model"
    ./build/quantscale ppl "$model" --text "$SHARED/text/wikitext2/wiki.test.raw"
  done
fi
