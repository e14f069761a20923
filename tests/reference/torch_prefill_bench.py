#!/usr/bin/python3
"""PyTorch timing of the same prefill bench/forward_bench.cpp measures: WINDOWS windows of 512
tokens through the model (float32, torch_forward.Model: the HF modeling code's math) plus the
lm_head over every position. Reuses the random checkpoints forward_bench writes under
/tmp/qs_bench_<name> (run qs_bench first) or any model folder.

usage: torch_prefill_bench.py MODEL_DIR [WINDOWS=4] [WINDOW=512] [THREADS=all]
prints JSON {"tokens", "seconds", "tok_per_s", "threads"}
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_forward import Model  # noqa: E402


def main():
    model_dir = sys.argv[1]
    windows = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    window = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    model = Model(model_dir, dtype=torch.float32)
    window = min(window, model.cfg.get("max_position_embeddings", window))
    vocab = model.cfg["vocab_size"]
    ids = [[(w * window + i) * 7919 % vocab for i in range(window)] for w in range(windows)]
    with torch.no_grad():
        model.logits(ids[0][:16])  # warm-up
        start = time.perf_counter()
        for seq in ids:
            model.logits(seq)
        seconds = time.perf_counter() - start
    tokens = windows * window
    print(json.dumps({"tokens": tokens, "seconds": seconds, "tok_per_s": tokens / seconds, "threads": threads}))


if __name__ == "__main__":
    main()
