#!/usr/bin/env bash
# Builds the tokenizer libFuzzer target (build-san: clang, ASan + UBSan) and runs it for QS_FUZZ_SECONDS
# (default 60) from a seed corpus of small tokenizer.json files, texts and regexes.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN="${QS_FUZZ_SECONDS:-60}"
bash scripts/build_sanitized.sh tokenizer_fuzz

CORPUS=build-san/corpus/tokenizer
mkdir -p "$CORPUS"
seed() { printf "$1" > "$CORPUS/$2"; }
seed '\x00{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]},"pre_tokenizer":{"type":"ByteLevel"},"decoder":{"type":"ByteLevel"}}' json_bytelevel
seed '\x00{"model":{"vocab":{"<0x61>":0,"\\u2581":1,"<unk>":2},"merges":[],"byte_fallback":true,"unk_token":"<unk>"},"normalizer":{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"\\u2581"},{"type":"Replace","pattern":{"String":" "},"content":"\\u2581"}]},"decoder":{"type":"Sequence","decoders":[{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]}}' json_fallback
seed '\x00{"model":{"vocab":{"a":0},"merges":[]},"added_tokens":[{"id":1,"content":"<s>","special":true,"lstrip":true,"rstrip":true,"single_word":true,"normalized":false}],"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"(?i:'"'"'s)|\\\\p{L}+|\\\\s+(?!\\\\S)"},"behavior":"Isolated"},{"type":"Digits","individual_digits":true},{"type":"Metaspace"}]},"normalizer":{"type":"NFC"}}' json_pipeline
seed '\x01Hello world, it'"'"'s 12345 <|endoftext|> caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80\r\n\t' text
seed '\x01\xff\xfe<|im_start|>\xc3' text_invalid
seed '\x02(?i:'"'"'s|'"'"'t)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+\x00It'"'"'S 2024  ok\r\n' regex

./build-san/fuzz/tokenizer_fuzz -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=120 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix=build-san/ "$CORPUS"
