#!/usr/bin/env bash
# Builds the regex libFuzzer target (build-san: clang, ASan + UBSan) and runs it for QS_FUZZ_SECONDS
# (default 60) from a seed corpus of pre-tokenizer and lm-eval patterns, including the amplified
# shapes of issue 14 (17,500 nested groups, 'a' then 100,000 '?', 30,000 nested groups, (.*)*x).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN="${QS_FUZZ_SECONDS:-60}"
bash scripts/build_sanitized.sh regex_fuzz

CORPUS=build-san/corpus/regex
mkdir -p "$CORPUS"
# seed <engine+flags byte> <count byte> <pattern\0text> <name>
seed() { printf "$1$2$3" > "$CORPUS/$4"; }
LLAMA3='(?i:'"'"'s|'"'"'t|'"'"'re)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+'
seed '\x00' '\x00' "$LLAMA3"'\x00It'"'"'S 2024  ok\r\n caf\xc3\xa9' tok_llama3
seed '\x00' '\x00' '(a*)*b\x00aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' tok_runaway
seed '\x02' '\x57' '(\x01a\x01)\x00a' tok_nested_groups
seed '\x02' '\xff' '\x01a\x01?\x00aaa' tok_stacked_quantifiers
seed '\x01' '\x00' '#### (\\-?[0-9\\.\\,]+)\x00so 7\n#### -1,234.5' task_gsm8k
seed '\x01' '\x00' '(-?[$0-9.,]{2,})|(-?[0-9]+)\x00paid $12.50 then 3' task_flexible
seed '\x01' '\x00' '(?s).*#### \x00a\nb #### 4' task_dotall
seed '\x01' '\x00' '(.*)*x\x00xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' task_runaway
seed '\x03' '\x96' '(\x01a\x01)\x00a' task_nested_groups
seed '\x03' '\x01' '(?:\x01x*\x01)*y\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' task_nested_repeats

./build-san/fuzz/regex_fuzz -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=60 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix=build-san/ "$CORPUS"
