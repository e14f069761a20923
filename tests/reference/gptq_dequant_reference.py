#!/usr/bin/python3
"""Dequantizes a GPTQ checkpoint folder the way AutoGPTQ's torch path does (auto_gptq/nn_modules/
qlinear/qlinear_cuda_old.py, QuantLinear.forward without the CUDA extension), written from that
formula and independent of quantscale's unpacker:

  wf = [0, bits, 2*bits, ...] (2/4/8 bits); 3 bits: three words per 32 codes with the shifts
       [0..27 step 3, 30 | 0, 1..31 step 3 | 0, 2..29 step 3] and the two straddling codes
       (10: 2 bits of word 0 + 1 of word 1; 21: 1 bit of word 1 + 2 of word 2) spliced back.
  zeros  = unpack(qzeros along the output dim) + 1, masked to `bits` bits (v1 "gptq": stored zero - 1)
  weight = unpack(qweight along the input dim)
  W^T    = scales[g_idx] * (weight - zeros[g_idx])        (fp16 in AutoGPTQ: scales are fp16)

Usage: gptq_dequant_reference.py CHECKPOINT_DIR [...]
For every linear `P` (a tensor P.qweight) writes, under CHECKPOINT_DIR/reference/:
  P.codes   int32 [in, out]   the codes (weight above)
  P.zeros   int32 [groups, out]  zero points (with the + 1)
  P.w16     float32 [out, in] AutoGPTQ's fp16 result, widened
  P.w64     float64 [out, in] the same formula in float64 (exact: an fp16 scale times an integer
            of at most 9 bits needs at most 20 significant bits)
and prints one line per checkpoint.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

DTYPES = {"I32": np.int32, "F16": np.float16, "F32": np.float32, "BF16": np.uint16}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[base + begin:base + end], dtype=DTYPES[info["dtype"]])
        tensors[name] = array.reshape(info["shape"])
    return tensors


def shifts(bits):
    if bits in (2, 4, 8):
        return torch.tensor(list(range(0, 32, bits)), dtype=torch.int32).unsqueeze(0)
    return torch.tensor([[0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 0],
                         [0, 1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31],
                         [0, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0]], dtype=torch.int32).reshape(1, 3, 12)


def unpack_zeros(qzeros, bits, n_out):
    wf = shifts(bits)
    if bits in (2, 4, 8):
        zeros = (qzeros.unsqueeze(2).expand(-1, -1, 32 // bits) >> wf.unsqueeze(0)).to(
            torch.int16 if bits == 8 else torch.int8)
        zeros = (zeros + 1) & ((1 << bits) - 1)
        return zeros.reshape(qzeros.shape[0], -1)[:, :n_out].to(torch.int32)
    zeros = qzeros.reshape(qzeros.shape[0], qzeros.shape[1] // 3, 3, 1).expand(-1, -1, -1, 12)
    zeros = zeros >> wf.unsqueeze(0)
    zeros[:, :, 0, 10] = (zeros[:, :, 0, 10] & 0x3) | ((zeros[:, :, 1, 0] << 2) & 0x4)
    zeros[:, :, 1, 11] = (zeros[:, :, 1, 11] & 0x1) | ((zeros[:, :, 2, 0] << 1) & 0x6)
    zeros = zeros & 0x7
    zeros = torch.cat([zeros[:, :, 0, :11], zeros[:, :, 1, 1:12], zeros[:, :, 2, 1:11]], dim=2)
    return (zeros.reshape(qzeros.shape[0], -1) + 1)[:, :n_out].to(torch.int32)


def unpack_weight(qweight, bits):
    wf = shifts(bits)
    if bits in (2, 4, 8):
        weight = (qweight.unsqueeze(1).expand(-1, 32 // bits, -1) >> wf.unsqueeze(-1)).to(
            torch.int16 if bits == 8 else torch.int8)
        weight = weight & ((1 << bits) - 1)
        return weight.reshape(-1, qweight.shape[1]).to(torch.int32)
    weight = qweight.reshape(qweight.shape[0] // 3, 3, 1, qweight.shape[1]).expand(-1, -1, 12, -1)
    weight = (weight >> wf.unsqueeze(-1)) & 0x7
    weight[:, 0, 10] = (weight[:, 0, 10] & 0x3) | ((weight[:, 1, 0] << 2) & 0x4)
    weight[:, 1, 11] = (weight[:, 1, 11] & 0x1) | ((weight[:, 2, 0] << 1) & 0x6)
    weight = weight & 0x7
    weight = torch.cat([weight[:, 0, :11], weight[:, 1, 1:12], weight[:, 2, 1:11]], dim=1)
    return weight.reshape(-1, qweight.shape[1]).to(torch.int32)


def dequantize(folder):
    config = json.load(open(os.path.join(folder, "config.json")))["quantization_config"]
    bits = config["bits"]
    assert config.get("checkpoint_format", "gptq") == "gptq", "v1 format expected"
    tensors = read_safetensors(os.path.join(folder, "model.safetensors"))
    out_dir = os.path.join(folder, "reference")
    os.makedirs(out_dir, exist_ok=True)
    prefixes = sorted(name[:-len(".qweight")] for name in tensors if name.endswith(".qweight"))
    for prefix in prefixes:
        scales = torch.from_numpy(tensors[prefix + ".scales"].copy())  # fp16 [groups, out]
        qzeros = torch.from_numpy(tensors[prefix + ".qzeros"].copy())
        qweight = torch.from_numpy(tensors[prefix + ".qweight"].copy())
        g_idx = torch.from_numpy(tensors[prefix + ".g_idx"].copy()).long()
        zeros = unpack_zeros(qzeros, bits, scales.shape[1])
        weight = unpack_weight(qweight, bits)
        w16 = scales[g_idx] * (weight - zeros[g_idx]).to(torch.float16)
        w64 = scales[g_idx].double() * (weight - zeros[g_idx]).double()
        base = os.path.join(out_dir, prefix)
        weight.numpy().astype(np.int32).tofile(base + ".codes")
        zeros.numpy().astype(np.int32).tofile(base + ".zeros")
        w16.t().contiguous().float().numpy().tofile(base + ".w16")
        w64.t().contiguous().numpy().tofile(base + ".w64")
    print(f"{folder}: {len(prefixes)} linears, {bits} bits, sym {config['sym']}, desc_act {config['desc_act']}")


def main():
    for folder in sys.argv[1:]:
        dequantize(folder)


if __name__ == "__main__":
    main()
