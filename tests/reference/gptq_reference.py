#!/usr/bin/python3
"""Independent float64 GPTQ (Frantar et al. 2022, arXiv 2210.17323, Algorithm 1) in PyTorch.

Written from the paper's algorithm, with the practical conventions of the reference tools
(IST-DASLab gptq.py / AutoGPTQ): min/max grid containing 0, sym zero (maxq+1)/2, MSE range shrink
search, dead columns, damping by mean(diag H), act-order by descending diag H (stable), static
groups, lazy 128-column blocks, group parameters found from W as of the current block's start.

Usage: gptq_reference.py DIR
  DIR/meta.json   {"out": O, "in": I, "tokens": N, "configs": [{bits, group_size, act_order,
                   static_groups, sym, mse, damp, method}]}
  DIR/W.bin       float32 [O, I] row-major;  DIR/X.bin float32 [N, I] (the layer's inputs)
Writes DIR/ref{k}_codes.bin (int32 [O, I]), ref{k}_scales.bin (float64 [G, O]),
ref{k}_zeros.bin (float64 [G, O]), ref{k}_gidx.bin (int32 [I]), ref{k}_ratio.bin (float64 [O, I], w/scale before
rounding), ref{k}_perm.bin (int32 [I], processing order) for each config k,
and DIR/ref_H.bin (float64 [I, I]).
"""
import json
import sys

import numpy as np
import torch


def grid_params(x, bits, sym, mse, min_zero=0):
    """x: [rows, k] float64. Returns scale, zero per row (float64)."""
    maxq = 2 ** bits - 1
    zeros_row = torch.zeros(x.shape[0], dtype=x.dtype)
    lo = torch.minimum(x.min(dim=1).values, zeros_row)
    hi = torch.maximum(x.max(dim=1).values, zeros_row)
    if sym:
        hi = torch.maximum(lo.abs(), hi)
        lo = torch.where(lo < 0, -hi, lo)
    both_zero = (lo == 0) & (hi == 0)
    lo = torch.where(both_zero, torch.full_like(lo, -1.0), lo)
    hi = torch.where(both_zero, torch.full_like(hi, 1.0), hi)

    def params(lo_, hi_):
        s = (hi_ - lo_) / maxq
        if sym:
            z = torch.full_like(s, (maxq + 1) // 2)
        else:
            z = torch.clamp(torch.round(-lo_ / s), min=min_zero)
        return s, z

    scale, zero = params(lo, hi)
    if mse:
        best = torch.full_like(scale, float("inf"))
        for i in range(int(0.8 * 100)):
            p = 1 - i / 100
            s1, z1 = params(p * lo, p * hi)
            q = torch.clamp(torch.round(x / s1[:, None]) + z1[:, None], 0, maxq)
            err = ((s1[:, None] * (q - z1[:, None]) - x).abs() ** 2.4).sum(dim=1)
            better = err < best
            best = torch.where(better, err, best)
            scale = torch.where(better, s1, scale)
            zero = torch.where(better, z1, zero)
    return scale, zero


def codes_of(w, scale, zero, bits):
    return torch.clamp(torch.round(w / scale) + zero, 0, 2 ** bits - 1)


def gptq(W, H, bits, group_size, act_order, static_groups, sym, mse, damp, block=128):
    W = W.clone()
    H = H.clone()
    rows, cols = W.shape
    gs = cols if group_size == -1 else min(group_size, cols)
    scale, zero = grid_params(W, bits, sym, mse)          # per channel: before dead columns
    dead = torch.diagonal(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    static = static_groups and group_size != -1
    static_params = [grid_params(W[:, g:g + gs], bits, sym, mse) for g in range(0, cols, gs)] if static else None
    perm = torch.arange(cols)
    if act_order:
        _, perm = torch.sort(torch.diagonal(H), descending=True, stable=True)
        W = W[:, perm]
        H = H[perm][:, perm]
    H = H + damp * torch.mean(torch.diagonal(H)) * torch.eye(cols, dtype=H.dtype)
    # Upper Cholesky factor U of H^-1 (H^-1 = U^T U): row i of U holds the OBS update of column i.
    U = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    codes = torch.zeros_like(W)
    ratios = torch.zeros_like(W)  # w / scale before rounding: shows which codes sit at a tie
    group_scales = {}
    for b0 in range(0, cols, block):
        b1 = min(b0 + block, cols)
        Wb = W[:, b0:b1].clone()
        E = torch.zeros_like(Wb)
        for k in range(b1 - b0):
            c = b0 + k
            if static:
                scale, zero = static_params[int(perm[c]) // gs]
            elif group_size != -1 and c % gs == 0:
                scale, zero = grid_params(W[:, c:c + gs], bits, sym, mse)
                group_scales[c // gs] = (scale, zero)
            q = codes_of(Wb[:, k], scale, zero, bits)
            codes[:, c] = q
            ratios[:, c] = Wb[:, k] / scale
            e = (Wb[:, k] - scale * (q - zero)) / U[c, c]
            Wb[:, k:] -= torch.outer(e, U[c, b0 + k:b1])
            E[:, k] = e
        W[:, b1:] -= E @ U[b0:b1, b1:]
    inv = torch.argsort(perm)
    codes = codes[:, inv]
    ratios = ratios[:, inv]
    if static:
        scales = torch.stack([p[0] for p in static_params])
        zeros = torch.stack([p[1] for p in static_params])
        g_idx = torch.arange(cols) // gs
    else:
        if group_size == -1:
            group_scales[0] = (scale, zero)
        scales = torch.stack([group_scales[g][0] for g in sorted(group_scales)])
        zeros = torch.stack([group_scales[g][1] for g in sorted(group_scales)])
        g_idx = (torch.arange(cols) // gs)[inv]
    return codes, scales, zeros, g_idx, ratios, perm


def rtn(W, bits, group_size, sym, mse):
    cols = W.shape[1]
    gs = cols if group_size == -1 else min(group_size, cols)
    codes = torch.zeros_like(W)
    ratios = torch.zeros_like(W)
    scales, zeros = [], []
    for g in range(0, cols, gs):
        s, z = grid_params(W[:, g:g + gs], bits, sym, mse)
        codes[:, g:g + gs] = codes_of(W[:, g:g + gs], s[:, None], z[:, None], bits)
        ratios[:, g:g + gs] = W[:, g:g + gs] / s[:, None]
        scales.append(s)
        zeros.append(z)
    return codes, torch.stack(scales), torch.stack(zeros), torch.arange(cols) // gs, ratios, torch.arange(cols)


def main():
    d = sys.argv[1]
    meta = json.load(open(f"{d}/meta.json"))
    O, I, N = meta["out"], meta["in"], meta["tokens"]
    W = torch.from_numpy(np.fromfile(f"{d}/W.bin", dtype=np.float32).reshape(O, I)).double()
    X = torch.from_numpy(np.fromfile(f"{d}/X.bin", dtype=np.float32).reshape(N, I)).double()
    H = 2.0 * X.T @ X / N
    H.numpy().tofile(f"{d}/ref_H.bin")
    for k, cfg in enumerate(meta["configs"]):
        if cfg.get("method", "gptq") == "rtn":
            out = rtn(W, cfg["bits"], cfg["group_size"], cfg["sym"], cfg["mse"])
        else:
            out = gptq(W, H, cfg["bits"], cfg["group_size"], cfg["act_order"], cfg["static_groups"], cfg["sym"],
                       cfg["mse"], cfg["damp"])
        codes, scales, zeros, g_idx, ratios, perm = out
        perm.to(torch.int32).numpy().tofile(f"{d}/ref{k}_perm.bin")
        ratios.numpy().tofile(f"{d}/ref{k}_ratio.bin")
        codes.to(torch.int32).numpy().tofile(f"{d}/ref{k}_codes.bin")
        scales.numpy().astype(np.float64).tofile(f"{d}/ref{k}_scales.bin")
        zeros.numpy().astype(np.float64).tofile(f"{d}/ref{k}_zeros.bin")
        g_idx.to(torch.int32).numpy().tofile(f"{d}/ref{k}_gidx.bin")
    print(f"reference: {len(meta['configs'])} configs on W[{O},{I}], {N} tokens")


if __name__ == "__main__":
    main()
