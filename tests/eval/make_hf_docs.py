#!/usr/bin/python3
"""Writes the shipped benchmarks as the rows lm-eval's Hugging Face datasets hold (JSON lines), so
that lm-eval's own YAML task files (tests/eval/lm_eval_tasks) can run on them offline. The rows
are those make_expected_prompts.py renders its expected prompts from (its loaders, reused);
HellaSwag's rows are after lm-eval's utils.process_docs (query, choices, label), which is Python.

Usage: make_hf_docs.py BENCHMARKS_DIR OUT_DIR
Writes OUT_DIR/<task>.jsonl (and gsm8k_train.jsonl), one JSON object per line.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_expected_prompts as m  # noqa: E402


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for task in ("arc_easy", "arc_challenge", "piqa", "copa"):
        write(f"{out}/{task}.jsonl", m.TASKS[task]["load"](data))
    write(f"{out}/gsm8k.jsonl", m.gsm8k("test.jsonl")(data))
    write(f"{out}/gsm8k_train.jsonl", m.gsm8k("train.jsonl")(data))
    processed = [m.hellaswag_process(doc) for doc in m.hellaswag(data)]
    write(f"{out}/hellaswag.jsonl", [{"query": d["query"], "choices": d["choices"], "label": str(d["gold"])} for d in processed])


if __name__ == "__main__":
    main()
