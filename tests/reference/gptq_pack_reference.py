#!/usr/bin/python3
"""GPTQ checkpoint packing as AutoGPTQ's QuantLinear.pack lays it out, written out case by case
(2/4/8 bits: 32/bits codes per word, code j of a word at bit bits*j; 3 bits: runs of 32 codes in 3
words as 10 codes | 2+1 split | 10 codes | 1+2 split | 10 codes).

Usage: gptq_pack_reference.py DIR BITS ROWS COLS
  DIR/codes.bin  uint32 [ROWS, COLS]; ROWS % 32 == 0 and COLS % 32 == 0.
Writes DIR/ref_rows.bin (int32 [ROWS/32*BITS, COLS], packed along ROWS as qweight) and
DIR/ref_cols.bin (int32 [ROWS, COLS/32*BITS], packed along COLS as qzeros).
"""
import sys

import numpy as np


def pack_along_first(v, bits):
    """v: uint64 [n, m] -> uint32 [n / 32 * bits, m]."""
    out = np.zeros((v.shape[0] // 32 * bits, v.shape[1]), dtype=np.uint64)
    if bits in (2, 4, 8):
        per = 32 // bits
        for row in range(out.shape[0]):
            for j in range(per):
                out[row] |= v[row * per + j] << np.uint64(bits * j)
    else:
        for run in range(v.shape[0] // 32):
            src, dst = run * 32, run * 3
            for j in range(10):
                out[dst] |= v[src + j] << np.uint64(3 * j)
            out[dst] |= (v[src + 10] & np.uint64(3)) << np.uint64(30)
            out[dst + 1] |= v[src + 10] >> np.uint64(2)
            for j in range(10):
                out[dst + 1] |= v[src + 11 + j] << np.uint64(3 * j + 1)
            out[dst + 1] |= (v[src + 21] & np.uint64(1)) << np.uint64(31)
            out[dst + 2] |= v[src + 21] >> np.uint64(1)
            for j in range(10):
                out[dst + 2] |= v[src + 22 + j] << np.uint64(3 * j + 2)
    return (out & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def main():
    d, bits, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    codes = np.fromfile(f"{d}/codes.bin", dtype=np.uint32).reshape(rows, cols).astype(np.uint64)
    pack_along_first(codes, bits).view(np.int32).tofile(f"{d}/ref_rows.bin")
    pack_along_first(codes.T.copy(), bits).T.copy().view(np.int32).tofile(f"{d}/ref_cols.bin")


if __name__ == "__main__":
    main()
