#!/usr/bin/env bash
# Engine fuzz targets (safetensors header, config.json) for 60 s each, from seed corpora built
# out of the real files in ../shared. Built in build-san (scripts/build_sanitized.sh), the
# sanitized build the unit tests also run in.
# Usage: scripts/test.d/fuzz_engine.sh [seconds per target, default $QS_FUZZ_SECONDS or 60]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET="${1:-${QS_FUZZ_SECONDS:-60}}"
SHARED="${QS_SHARED_DIR:-$(cd .. && pwd)/shared}"
bash scripts/build_sanitized.sh safetensors_header_fuzz model_config_fuzz

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/safetensors" "$WORK/config"
# Seeds: a small valid file, the (truncated) start of each shipped checkpoint, every real config.json.
python3 - "$WORK/safetensors/valid" <<'PY'
import json, struct, sys
header = json.dumps({"__metadata__": {"format": "pt"},
                     "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                     "b": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]}}).encode()
header += b" " * (-len(header) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(header)) + header + bytes(32))
PY
for f in "$SHARED"/models/*/model.safetensors; do
  head -c 4096 "$f" > "$WORK/safetensors/$(basename "$(dirname "$f")")"
done
for f in "$SHARED"/hf/*/config.json "$SHARED"/models/*/config.json; do
  cp "$f" "$WORK/config/$(basename "$(dirname "$f")").json"
done
run() {
  local target="$1" corpus="$2"
  echo "== fuzzing $target for ${SECONDS_PER_TARGET}s"
  "build-san/fuzz/$target" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -print_final_stats=1 \
    "$corpus" 2>&1 | grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|cov:|ERROR|SUMMARY" | tail -5
  return "${PIPESTATUS[0]}"
}
run safetensors_header_fuzz "$WORK/safetensors"
run model_config_fuzz "$WORK/config"
