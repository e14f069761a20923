#!/usr/bin/python3
"""Independent scoring reference for the eval harness, written from lm-evaluation-harness's
request semantics (HFLM._loglikelihood_tokens and greedy generate_until), on top of the
float64 PyTorch forward in torch_forward.py (the published Hugging Face modeling code).

loglikelihood request (context_tokens, continuation_tokens):
    inp    = (context + continuation)[-(max_length + 1):][:-1]
    logp   = log_softmax(model(inp))[len(inp) - len(continuation):]
    result = (sum_i logp[i, continuation[i]], all_i argmax(logp[i]) == continuation[i])
generation (context_tokens, n): greedy argmax for n steps (stopping early at EOS).

usage: torch_scorer.py MODEL_DIR REQUESTS_JSON OUT_JSON
    REQUESTS_JSON: {"loglikelihood": [[ctx_ids, cont_ids], ...], "generate": [[ctx_ids, n_steps], ...]}
    OUT_JSON:      {"loglikelihood": [[logprob, is_greedy, greedy_margin, max_abs_logit], ...],
                    "generate": [[ids...], ...], "generate_margins": [[top1 - top2 logit per step], ...],
                    "generate_max_abs_logit": [largest |logit| over a generation's steps, ...],
                    "max_length": L}
greedy_margin: min over the continuation's positions of logp[target] - max_{j != target} logp[j]
(> 0 exactly when the request is greedy); the caller compares greedy flags only where its float
error cannot cross zero. The generation margins say where a greedy step was a near-tie.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_forward import Model  # noqa: E402  (the engine's float64 reference forward)


def main():
    model_dir, requests_path, out_path = sys.argv[1:4]
    # ctest runs two tests at a time with OMP_NUM_THREADS=1; more threads would oversubscribe.
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1))
    model = Model(model_dir)
    max_length = model.cfg.get("max_position_embeddings", 2048)
    eos = model.cfg.get("eos_token_id")
    eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    with open(requests_path) as f:
        requests = json.load(f)
    out = {"loglikelihood": [], "generate": [], "max_length": max_length}
    with torch.no_grad():
        for context, continuation in requests.get("loglikelihood", []):
            inp = (context + continuation)[-(max_length + 1):][:-1]
            all_logits = model.logits(inp)[len(inp) - len(continuation):]
            logp = torch.log_softmax(all_logits, dim=-1)
            target = torch.tensor(continuation, dtype=torch.long)
            picked = logp.gather(1, target[:, None])[:, 0]
            others = logp.scatter(1, target[:, None], float("-inf")).max(dim=-1).values
            logprob = picked.sum().item()
            greedy = bool((logp.argmax(dim=-1) == target).all().item())
            # An empty continuation is trivially greedy: no margin can flip it.
            margin = (picked - others).min().item() if len(continuation) else 1e300
            max_abs_logit = all_logits.abs().max().item() if len(continuation) else 0.0
            out["loglikelihood"].append([logprob, greedy, margin, max_abs_logit])
        for context, steps in requests.get("generate", []):
            ids = list(context)
            generated, margins, max_abs_logit = [], [], 0.0
            for _ in range(steps):
                last = model.logits(ids[-max_length:])[-1]
                top2 = last.topk(2).values
                max_abs_logit = max(max_abs_logit, last.abs().max().item())
                token = int(last.argmax().item())
                generated.append(token)
                margins.append((top2[0] - top2[1]).item())
                ids.append(token)
                if token in eos_ids:
                    break
            out["generate"].append(generated)
            out.setdefault("generate_margins", []).append(margins)
            out.setdefault("generate_max_abs_logit", []).append(max_abs_logit)
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
