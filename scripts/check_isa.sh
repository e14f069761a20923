#!/usr/bin/env bash
# Checks that a portable build runs on any x86-64-v2 CPU: no AVX instruction (VEX/EVEX-encoded,
# ymm/zmm registers, AVX-512 mask registers) outside the run-time dispatched kernels (Highway's per-target
# namespaces N_AVX2 / N_AVX3 / N_AVX3_DL, core/cpu_dispatch.h), then runs the shipped model's
# perplexity on the portable target. Usage: scripts/check_isa.sh [binary, default build/quantscale]
set -euo pipefail
cd "$(dirname "$0")/.."
BINARY="${1:-build/quantscale}"
[ "$(uname -m)" = x86_64 ] || { echo "check_isa: x86-64 only"; exit 0; }
objdump -d --no-show-raw-insn -C "$BINARY" | /usr/bin/python3 -c '
import re, sys
# ymm/zmm/mask registers, or any VEX/EVEX-encoded (v-prefixed) instruction on xmm registers.
wide = re.compile(r"%([yz]mm[0-9]+|k[1-7])\b|\tv[a-z0-9]+\s.*%xmm")
function, offending, dispatched = None, {}, {}
for line in sys.stdin:
    header = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
    if header:
        function = header.group(1)
        continue
    if function and wide.search(line):
        kernel = re.search(r"::N_(AVX2|AVX3|AVX3_DL)::", function)
        bucket = dispatched if kernel else offending
        bucket[function] = bucket.get(function, 0) + 1
print("check_isa: %d dispatched kernel functions use AVX/AVX-512 instructions, %d other functions do"
      % (len(dispatched), len(offending)))
for name, count in sorted(offending.items()):
    print("  outside the dispatched kernels: %s (%d instructions)" % (name, count))
sys.exit(1 if offending else 0)
'
shared="${QS_SHARED_DIR:-../shared}"
model="$shared/models/tinystories-656k" text="$shared/text/wikitext2/wiki.test.raw"
[ -f "$text" ] || { echo "check_isa: $text is missing (../shared or QS_SHARED_DIR)"; exit 1; }
echo "check_isa: $(QS_CPU=portable "$BINARY" --version)"
QS_CPU=portable "$BINARY" ppl "$model" --text "$text" --limit-tokens 16384
