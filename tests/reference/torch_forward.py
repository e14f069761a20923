#!/usr/bin/python3
"""Reference forward pass in PyTorch float64, written from the published Hugging Face modeling
code (transformers' modeling_llama.py, modeling_qwen2.py, modeling_qwen3.py,
modeling_gpt_neox.py), independent of quantscale's C++.

Reads MODEL_DIR/config.json and model.safetensors (or shards via model.safetensors.index.json;
parsed here with json + torch.frombuffer, no safetensors package needed).

usage: torch_forward.py MODEL_DIR logits IDS_JSON OUT_BIN
         IDS_JSON: [[ids of sequence 1], [ids of sequence 2], ...]; OUT_BIN: float64 logits of
         every position of every sequence, concatenated (rows = tokens, cols = vocab).
       torch_forward.py MODEL_DIR ppl IDS_JSON CTX STRIDE
         prints JSON {"nll_sum", "n_scored", "ppl"} for the strided-window perplexity of the
         single id list in IDS_JSON (Hugging Face perplexity guide convention).
"""
import json
import math
import os
import struct
import sys

import numpy
import torch

# safetensors dtype -> (numpy storage type, torch dtype viewed over it); numpy has no bfloat16.
NUMPY_VIEWS = {"F32": (numpy.float32, torch.float32), "F16": (numpy.int16, torch.float16),
               "BF16": (numpy.int16, torch.bfloat16), "F64": (numpy.float64, torch.float64)}


def read_safetensors(path, dtype=torch.float64):
    """Tensors of one safetensors file, converted to `dtype` (memory-mapped, no full read)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    mapped = numpy.memmap(path, dtype=numpy.uint8, mode="r")
    base = 8 + n
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = numpy.asarray(mapped[base + begin:base + end])
        storage, torch_dtype = NUMPY_VIEWS[entry["dtype"]]
        t = torch.from_numpy(raw.view(storage).copy() if raw.size else numpy.zeros(0, storage)).view(torch_dtype)
        tensors[name] = t.reshape(entry["shape"]).to(dtype)
    return tensors


def load_weights(model_dir, dtype=torch.float64):
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single, dtype)
    with open(os.path.join(model_dir, "model.safetensors.index.json")) as f:
        index = json.load(f)
    tensors = {}
    for shard in sorted(set(index["weight_map"].values())):
        tensors.update(read_safetensors(os.path.join(model_dir, shard), dtype))
    return tensors


def rms_norm(x, weight, eps):
    # LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * weight
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def layer_norm(x, weight, bias, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def rope_inv_freq(cfg, rotary_dim, base):
    inv_freq = 1.0 / (base ** (torch.arange(0, rotary_dim, 2, dtype=torch.float64) / rotary_dim))
    scaling = cfg.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "linear":
        inv_freq = inv_freq / scaling["factor"]
    elif kind == "llama3":  # transformers.modeling_rope_utils._compute_llama3_parameters
        factor = scaling["factor"]
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        inv_freq = torch.where(medium, smoothed, scaled)
    return inv_freq


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary(x, cos, sin, rotary_dim):
    # x: [heads, T, head_dim]; rotates the first rotary_dim dims (GPT-NeoX partial rotary).
    rot, keep = x[..., :rotary_dim], x[..., rotary_dim:]
    return torch.cat((rot * cos + rotate_half(rot) * sin, keep), dim=-1)


def attention(q, k, v, n_kv_heads):
    # q: [H, T, d], k, v: [KV, T, d]; repeat_kv then causal softmax attention.
    group = q.shape[0] // n_kv_heads
    k = k.repeat_interleave(group, dim=0)
    v = v.repeat_interleave(group, dim=0)
    t = q.shape[1]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


ACTIVATIONS = {
    "silu": torch.nn.functional.silu,
    "gelu": lambda x: torch.nn.functional.gelu(x),
    "gelu_new": lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
}


class Model:
    def __init__(self, model_dir, dtype=torch.float64):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = cfg = json.load(f)
        self.dtype = dtype
        self.w = load_weights(model_dir, dtype)
        self.arch = cfg["architectures"][0]
        self.neox = self.arch == "GPTNeoXForCausalLM"
        if self.arch not in ("LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "GPTNeoXForCausalLM"):
            raise SystemExit("unsupported architecture " + self.arch)
        self.hidden = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.kv_heads = cfg.get("num_key_value_heads") or self.heads
        self.head_dim = cfg.get("head_dim") or self.hidden // self.heads
        self.layers = cfg["num_hidden_layers"]
        self.act = ACTIVATIONS[cfg.get("hidden_act", "gelu" if self.neox else "silu")]
        if self.neox:
            self.eps = cfg.get("layer_norm_eps", 1e-5)
            self.rotary_dim = int(self.head_dim * cfg.get("rotary_pct", 0.25))
            base = cfg.get("rotary_emb_base", cfg.get("rope_theta", 10000))
            self.parallel = cfg.get("use_parallel_residual", True)
            self.tied = cfg.get("tie_word_embeddings", False)
        else:
            self.eps = cfg.get("rms_norm_eps", 1e-6)
            self.rotary_dim = self.head_dim
            base = cfg.get("rope_theta", 10000.0)
            self.tied = cfg.get("tie_word_embeddings", False)
        self.inv_freq = rope_inv_freq(cfg, self.rotary_dim, base)  # float64; cos/sin cast below
        if self.neox:
            self.embed = self.w["gpt_neox.embed_in.weight"]
            self.head = self.embed if self.tied else self.w["embed_out.weight"]
        else:
            self.embed = self.w.get("model.embed_tokens.weight", self.w.get("lm_head.weight"))
            self.head = self.embed if self.tied else self.w["lm_head.weight"]

    def linear(self, name, x):
        y = x @ self.w[name + ".weight"].T
        if name + ".bias" in self.w:
            y = y + self.w[name + ".bias"]
        return y

    def norm(self, prefix, x):
        if self.neox:
            return layer_norm(x, self.w[prefix + ".weight"], self.w[prefix + ".bias"], self.eps)
        return rms_norm(x, self.w[prefix + ".weight"], self.eps)

    def attn(self, p, x, cos, sin):
        t = x.shape[0]
        hd = self.head_dim
        if self.neox:
            qkv = self.linear(p + "attention.query_key_value", x).view(t, self.heads, 3 * hd)
            q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
        else:
            q = self.linear(p + "self_attn.q_proj", x).view(t, self.heads, hd)
            k = self.linear(p + "self_attn.k_proj", x).view(t, self.kv_heads, hd)
            v = self.linear(p + "self_attn.v_proj", x).view(t, self.kv_heads, hd)
            if self.arch == "Qwen3ForCausalLM":
                q = rms_norm(q, self.w[p + "self_attn.q_norm.weight"], self.eps)
                k = rms_norm(k, self.w[p + "self_attn.k_norm.weight"], self.eps)
        q, k, v = (a.transpose(0, 1) for a in (q, k, v))
        q = apply_rotary(q, cos, sin, self.rotary_dim)
        k = apply_rotary(k, cos, sin, self.rotary_dim)
        out = attention(q, k, v, q.shape[0] if self.neox else self.kv_heads).transpose(0, 1).reshape(t, -1)
        return self.linear(p + ("attention.dense" if self.neox else "self_attn.o_proj"), out)

    def mlp(self, p, x):
        if self.neox:
            return self.linear(p + "mlp.dense_4h_to_h", self.act(self.linear(p + "mlp.dense_h_to_4h", x)))
        gate = self.act(self.linear(p + "mlp.gate_proj", x))
        return self.linear(p + "mlp.down_proj", gate * self.linear(p + "mlp.up_proj", x))

    def logits(self, ids):
        t = len(ids)
        h = self.embed[torch.tensor(ids, dtype=torch.long)]
        freqs = torch.arange(t, dtype=torch.float64)[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(self.dtype), emb.sin().to(self.dtype)
        prefix = "gpt_neox.layers." if self.neox else "model.layers."
        for layer in range(self.layers):
            p = f"{prefix}{layer}."
            if self.neox and self.parallel:
                h = h + self.attn(p, self.norm(p + "input_layernorm", h), cos, sin) + \
                    self.mlp(p, self.norm(p + "post_attention_layernorm", h))
            else:
                h = h + self.attn(p, self.norm(p + "input_layernorm", h), cos, sin)
                h = h + self.mlp(p, self.norm(p + "post_attention_layernorm", h))
        h = self.norm("gpt_neox.final_layer_norm" if self.neox else "model.norm", h)
        return h @ self.head.T


def strided_perplexity(model, ids, ctx, stride):
    """Hugging Face perplexity guide: windows [begin, begin+ctx) every `stride` tokens; each
    window scores only the tokens not scored by the previous one (and never its first token)."""
    nll_sum, n_scored, prev_end = 0.0, 0, 0
    for begin in range(0, len(ids), stride):
        end = min(begin + ctx, len(ids))
        window = ids[begin:end]
        logp = torch.log_softmax(model.logits(window), dim=-1)
        first = max(prev_end, begin + 1)
        for pos in range(first, end):
            nll_sum -= logp[pos - begin - 1, ids[pos]].item()
            n_scored += 1
        prev_end = end
        if end == len(ids):
            break
    return {"nll_sum": nll_sum, "n_scored": n_scored, "ppl": math.exp(nll_sum / n_scored)}


def main():
    model_dir, mode = sys.argv[1], sys.argv[2]
    # ctest runs two tests at a time with OMP_NUM_THREADS=1; more threads would oversubscribe.
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1))
    model = Model(model_dir)
    with open(sys.argv[3]) as f:
        ids = json.load(f)
    with torch.no_grad():
        if mode == "logits":
            out = torch.cat([model.logits(seq) for seq in ids], dim=0)
            out.numpy().astype("<f8").tofile(sys.argv[4])
        elif mode == "ppl":
            print(json.dumps(strided_perplexity(model, ids, int(sys.argv[4]), int(sys.argv[5]))))
        else:
            raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
