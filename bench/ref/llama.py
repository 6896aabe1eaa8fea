#!/usr/bin/env python3
"""ponder's architecture in plain PyTorch: the independent reference for checks and benchmarks.

Llama-style decoder (as Hugging Face's LlamaForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM,
parameter names identical): token embedding; per block x += o(attn(rmsnorm(x))),
x += down(silu(gate(n)) * up(n)) with n = rmsnorm(x); final rmsnorm; LM head tied to the
embedding (or `lm_head.weight`). RMSNorm: x * rsqrt(mean(x^2) + eps) * w. RoPE, rotate-half:
x1 = x[:hd/2], x2 = x[hd/2:], (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin), angle p * w_i with
w_i = theta^(-2i/hd), rescaled by Llama 3.1's "llama3" rope_scaling when given; tables computed in
float64. Causal attention with grouped-query heads: query head h reads kv head h // (H/H_kv).
Linear weights are (out, in). Options: head_dim (default d_model / n_heads); biases on q, k, v
(Qwen2); RMSNorm over each q and k head before RoPE (Qwen3: q_norm, k_norm).

Config: ponder's JSON (vocab_size, d_model, n_layers, n_heads, n_kv_heads, d_ff, max_seq_len,
rope_theta, norm_eps, tie_embeddings, optional head_dim, qkv_bias, qk_norm, rope_scaling,
train: {seq_len, batch_size}), or a Hugging Face config.json (read here with transformers' key
names and defaults, independently of ponder's reader).

Modes:
  check        --weights w.safetensors --config c.json --batch ids.json --out result.safetensors
               (--weights may be a Hugging Face folder: its config.json, model.safetensors or
               shards with model.safetensors.index.json, in F32, F16 or BF16; --config optional)
               Logits, mean next-token cross-entropy and the gradient of every parameter.
               ids.json is either [[ids]] of shape (B, T+1) (inputs = ids[:, :-1], targets =
               ids[:, 1:]) or {"inputs": (B, T), "targets": (B, T)} where a negative target is
               ignored. Writes `logits` (B, T, V), `loss` (1,) and `grad.<param>` as F32, with the
               loss also in metadata; prints {"loss": ..., "out": ...}. --dtype float64 (default)
               computes in double precision from the F32 weights.
  init         --config c.json --seed S --out w.safetensors: random weights (normal, std 0.02;
               norms 1), for tests that need a model without ponder.
  write-hf     --config hf-config.json --seed S --out DIR [--dtype f32|f16|bf16] [--shards N]:
               a Hugging Face folder of random weights (norms and biases non-trivial), sharded
               with an index when N > 1: an independent writer for ponder's reader.
  train-bench  --config c.json --threads N --steps S: forward, cross-entropy, backward, AdamW on
               random tokens of the config's (batch_size, seq_len).
  decode-bench --config c.json --batch B --prompt P --new N --threads N: prefill, then greedy
               decode with a preallocated KV cache.
  sample-bench --config c.json --batch 256 --prompt P --new N --threads N: like decode-bench but
               multinomial sampling at temperature 1 (the RL rollout shape).
  load-bench   --weights DIR: seconds to read a Hugging Face folder into a float32 model.
  many         --jobs jobs.json: runs a JSON list of argument lists (other modes) in one process
               and prints the list of their results (torch starts once).
  selftest     checks this model against a naive second implementation (naive_forward), the KV
               cache against the full forward, the loss against an explicit log-softmax.
Benchmarks print one JSON line. FLOPs: flops_per_token below mirrors bench/flops.ts.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_check import load as st_load, save as st_save  # noqa: E402

CONFIG_KEYS = ["vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "d_ff", "max_seq_len",
               "rope_theta", "norm_eps", "tie_embeddings"]


def fail(msg):
    print(f"llama.py: {msg}", file=sys.stderr)
    sys.exit(2)


def load_config(path):
    try:
        with open(path, encoding="utf-8") as f:
            c = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"config {path}: {e}")
    if "architectures" in c:
        c = from_hf_config(c, path)
    missing = [k for k in CONFIG_KEYS if k not in c]
    if missing:
        fail(f"config {path}: missing {', '.join(missing)}")
    if ("head_dim" not in c and c["d_model"] % c["n_heads"]) or c["n_heads"] % c["n_kv_heads"] or head_dim(c) % 2:
        fail(f"config {path}: d_model must split into n_heads even-sized heads, n_heads into n_kv_heads groups")
    return c


def from_hf_config(h, path):
    """A Hugging Face config.json as this file's config, with transformers' defaults."""
    arch = h["architectures"][0]
    if arch not in ("LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"):
        fail(f"config {path}: architecture {arch} is not implemented here")
    c = {"vocab_size": h["vocab_size"], "d_model": h["hidden_size"], "n_layers": h["num_hidden_layers"],
         "n_heads": h["num_attention_heads"], "n_kv_heads": h.get("num_key_value_heads") or h["num_attention_heads"],
         "d_ff": h["intermediate_size"], "max_seq_len": h["max_position_embeddings"],
         "rope_theta": h.get("rope_theta", 10000.0), "norm_eps": h.get("rms_norm_eps", 1e-6),
         "tie_embeddings": h.get("tie_word_embeddings", False),
         "qkv_bias": arch == "Qwen2ForCausalLM" or bool(h.get("attention_bias", False)),
         "qk_norm": arch == "Qwen3ForCausalLM", "rope_scaling": h.get("rope_scaling")}
    if h.get("head_dim"):
        c["head_dim"] = h["head_dim"]
    return c


def head_dim(c):
    return c.get("head_dim") or c["d_model"] // c["n_heads"]


def inv_freq(c):
    """RoPE's inverse frequencies in float64, with Llama 3.1's rescaling as transformers'
    _compute_llama3_parameters writes it."""
    hd = head_dim(c)
    inv = 1.0 / (float(c["rope_theta"]) ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    rs = c.get("rope_scaling")
    if not rs:
        return inv
    if (rs.get("rope_type") or rs.get("type")) != "llama3":
        fail(f"rope_scaling {rs} is not implemented here")
    factor, lo, hi, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
    low_freq_wavelen, high_freq_wavelen = old / lo, old / hi
    wavelen = 2 * math.pi / inv
    inv_l = torch.where(wavelen > low_freq_wavelen, inv / factor, inv)
    smooth = (old / wavelen - lo) / (hi - lo)
    smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
    medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
    return torch.where(medium, smoothed, inv_l)


# ---- FLOPs (mirror of bench/flops.ts; keep the two identical) ----

def matmul_params(c):
    hd = head_dim(c)
    dq, dkv, d = c["n_heads"] * hd, c["n_kv_heads"] * hd, c["d_model"]
    return c["n_layers"] * (d * dq + 2 * d * dkv + dq * d + 3 * d * c["d_ff"]) + c["vocab_size"] * d


def forward_flops_per_token(c, ctx):
    return 2 * matmul_params(c) + 4 * c["n_layers"] * c["n_heads"] * head_dim(c) * ctx


def train_flops_per_token(c, seq_len=None):
    T = seq_len if seq_len is not None else c.get("train", {}).get("seq_len", c["max_seq_len"])
    return 3 * forward_flops_per_token(c, T / 2)


# ---- model ----

class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(c, dtype):
    inv = inv_freq(c)
    ang = torch.arange(c["max_seq_len"], dtype=torch.float64)[:, None] * inv[None, :]  # (maxT, hd/2)
    return ang.cos().to(dtype), ang.sin().to(dtype)


def apply_rope(x, cos, sin):
    # x (B, H, T, hd); cos, sin (T, hd/2)
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.H, self.Hkv = c["d_model"], c["n_heads"], c["n_kv_heads"]
        self.hd = head_dim(c)
        bias = bool(c.get("qkv_bias"))
        self.q_proj = nn.Linear(d, self.H * self.hd, bias=bias)
        self.k_proj = nn.Linear(d, self.Hkv * self.hd, bias=bias)
        self.v_proj = nn.Linear(d, self.Hkv * self.hd, bias=bias)
        self.o_proj = nn.Linear(self.H * self.hd, d, bias=False)
        self.qk_norm = bool(c.get("qk_norm"))
        if self.qk_norm:
            self.q_norm = RMSNorm(self.hd, c["norm_eps"])
            self.k_norm = RMSNorm(self.hd, c["norm_eps"])

    def forward(self, x, cos, sin, pos=0, cache=None):
        # x (B, T, C); cos, sin (T, hd/2) for positions pos..pos+T; cache (k, v) each (B, Hkv, maxT, hd)
        B, T, _ = x.shape
        H, Hkv, hd = self.H, self.Hkv, self.hd
        G = H // Hkv
        q = self.q_proj(x).view(B, T, H, hd)
        k = self.k_proj(x).view(B, T, Hkv, hd)
        if self.qk_norm:                                                                # per head, before RoPE
            q, k = self.q_norm(q), self.k_norm(k)
        q = apply_rope(q.transpose(1, 2), cos, sin)                                     # (B, H, T, hd)
        k = apply_rope(k.transpose(1, 2), cos, sin)                                     # (B, Hkv, T, hd)
        v = self.v_proj(x).view(B, T, Hkv, hd).transpose(1, 2)
        if cache is not None:
            cache[0][:, :, pos:pos + T] = k
            cache[1][:, :, pos:pos + T] = v
            k, v = cache[0][:, :, :pos + T], cache[1][:, :, :pos + T]
        S = k.shape[2]
        # Group the G query heads that share a kv head: (B, Hkv, G*T, hd), no copy of k or v.
        qg = q.reshape(B, Hkv, G * T, hd)
        att = (qg @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))                        # (B, Hkv, G*T, S)
        if T > 1:
            allowed = torch.ones(T, S, dtype=torch.bool).tril(diagonal=pos)           # key s <= pos + t
            att = att.masked_fill(~allowed.repeat(G, 1), float("-inf"))
        y = att.softmax(dim=-1) @ v                                                     # (B, Hkv, G*T, hd)
        y = y.view(B, H, T, hd).transpose(1, 2).reshape(B, T, H * hd)
        return self.o_proj(y)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, f = c["d_model"], c["d_ff"]
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["d_model"], c["norm_eps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["d_model"], c["norm_eps"])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, pos=0, cache=None):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, pos, cache)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, c, dtype=torch.float32):
        super().__init__()
        self.c = c
        self.model = nn.Module()
        self.model.embed_tokens = nn.Embedding(c["vocab_size"], c["d_model"])
        self.model.layers = nn.ModuleList([Block(c) for _ in range(c["n_layers"])])
        self.model.norm = RMSNorm(c["d_model"], c["norm_eps"])
        if not c["tie_embeddings"]:
            self.lm_head = nn.Linear(c["d_model"], c["vocab_size"], bias=False)
        self.to(dtype)
        cos, sin = rope_tables(c, dtype)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def init_weights(self, seed):
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith("norm.weight"):
                    p.fill_(1.0)
                else:
                    p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float32).to(p.dtype) * 0.02)

    def head(self):
        return self.model.embed_tokens.weight if self.c["tie_embeddings"] else self.lm_head.weight

    def forward(self, ids, pos=0, caches=None, last_only=False):
        # ids (B, T) -> logits (B, T, V), or (B, 1, V) with last_only
        T = ids.shape[1]
        if pos + T > self.c["max_seq_len"]:
            raise ValueError(f"positions up to {pos + T} exceed max_seq_len {self.c['max_seq_len']}")
        cos, sin = self.cos[pos:pos + T], self.sin[pos:pos + T]
        x = self.model.embed_tokens(ids)
        for i, layer in enumerate(self.model.layers):
            x = layer(x, cos, sin, pos, None if caches is None else caches[i])
        x = self.model.norm(x)
        if last_only:
            x = x[:, -1:]
        return x @ self.head().t()

    def new_caches(self, B, maxT):
        c = self.c
        hd = head_dim(c)
        dt = self.model.embed_tokens.weight.dtype
        return [(torch.zeros(B, c["n_kv_heads"], maxT, hd, dtype=dt), torch.zeros(B, c["n_kv_heads"], maxT, hd, dtype=dt))
                for _ in range(c["n_layers"])]


def load_tensors(path):
    """A safetensors file, or a Hugging Face folder's single or sharded weights."""
    try:
        if not os.path.isdir(path):
            return st_load(path)[0]
        index = os.path.join(path, "model.safetensors.index.json")
        if not os.path.exists(index):
            return st_load(os.path.join(path, "model.safetensors"))[0]
        with open(index, encoding="utf-8") as f:
            wm = json.load(f)["weight_map"]
        out = {}
        for shard in sorted(set(wm.values())):
            t = st_load(os.path.join(path, shard))[0]
            out.update({n: v for n, v in t.items() if wm.get(n) == shard})
        return out
    except (OSError, ValueError, KeyError) as e:
        fail(f"weights {path}: {e}")


def load_weights(model, path):
    tensors = {n: t for n, t in load_tensors(path).items()
               if not (n == "lm_head.weight" and model.c["tie_embeddings"]) and not n.endswith("rotary_emb.inv_freq")}
    own = dict(model.named_parameters())
    missing = sorted(set(own) - set(tensors))
    extra = sorted(set(tensors) - set(own))
    if missing or extra:
        fail(f"weights {path}: missing {missing[:5]}, unexpected {extra[:5]}")
    with torch.no_grad():
        for name, p in own.items():
            t = tensors[name]
            if list(t.shape) != list(p.shape):
                fail(f"weights {path}: {name} has shape {list(t.shape)}, the config needs {list(p.shape)}")
            p.copy_(t.to(p.dtype))


def load_batch(path, V):
    try:
        with open(path, encoding="utf-8") as f:
            b = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"batch {path}: {e}")
    if isinstance(b, dict):
        inputs, targets = torch.tensor(b["inputs"], dtype=torch.long), torch.tensor(b["targets"], dtype=torch.long)
    else:
        ids = torch.tensor(b, dtype=torch.long)
        if ids.dim() != 2 or ids.shape[1] < 2:
            fail(f"batch {path}: expected (B, T+1) token ids, got shape {list(ids.shape)}")
        inputs, targets = ids[:, :-1], ids[:, 1:]
    if inputs.shape != targets.shape or inputs.dim() != 2:
        fail(f"batch {path}: inputs {list(inputs.shape)} and targets {list(targets.shape)} must both be (B, T)")
    if inputs.min() < 0 or inputs.max() >= V or targets.max() >= V:
        fail(f"batch {path}: token ids must lie in [0, {V})")
    return inputs, targets.masked_fill(targets < 0, -100)


def set_threads(n):
    torch.set_num_threads(n)


# ---- modes ----

def cmd_check(a):
    if a.config is None and not os.path.isdir(a.weights):
        fail("--config is needed unless --weights is a Hugging Face folder")
    c = load_config(a.config or os.path.join(a.weights, "config.json"))
    dt = torch.float64 if a.dtype == "float64" else torch.float32
    model = Llama(c, dt)
    load_weights(model, a.weights)
    inputs, targets = load_batch(a.batch, c["vocab_size"])
    if inputs.shape[1] > c["max_seq_len"]:
        fail(f"batch {a.batch}: {inputs.shape[1]} positions exceed max_seq_len {c['max_seq_len']}")
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, c["vocab_size"]), targets.reshape(-1), ignore_index=-100)
    loss.backward()
    out = {"logits": logits.detach().float(), "loss": loss.detach().float().reshape(1)}
    for name, p in model.named_parameters():
        out[f"grad.{name}"] = p.grad.float()
    st_save(a.out, out, {"loss": repr(loss.item()), "dtype": a.dtype})
    print(json.dumps({"loss": loss.item(), "out": a.out}))


def cmd_init(a):
    c = load_config(a.config)
    model = Llama(c)
    model.init_weights(a.seed)
    st_save(a.out, {n: p.detach() for n, p in model.named_parameters()}, {"seed": str(a.seed)})
    print(json.dumps({"out": a.out, "params": sum(p.numel() for p in model.parameters())}))


def cmd_write_hf(a):
    try:
        with open(a.config, encoding="utf-8") as f:
            h = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"config {a.config}: {e}")
    c = from_hf_config(h, a.config)
    model = Llama(c)
    model.init_weights(a.seed)
    g = torch.Generator().manual_seed(a.seed + 1)
    with torch.no_grad():  # trained-looking norms and biases, so that getting them wrong shows
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"):
                p.copy_(0.7 + 0.6 * torch.rand(p.shape, generator=g))
            elif n.endswith(".bias"):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
    dt = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[a.dtype]
    tensors = {n: p.detach().to(dt) for n, p in model.named_parameters()}
    os.makedirs(a.out, exist_ok=True)
    names = list(tensors)
    if a.shards <= 1:
        st_save(os.path.join(a.out, "model.safetensors"), tensors, {"format": "pt"})
    else:
        per = -(-len(names) // a.shards)
        wm = {}
        for i in range(a.shards):
            file = f"model-{i + 1:05d}-of-{a.shards:05d}.safetensors"
            part = {n: tensors[n] for n in names[i * per:(i + 1) * per]}
            st_save(os.path.join(a.out, file), part, {"format": "pt"})
            wm.update({n: file for n in part})
        size = sum(t.numel() * t.element_size() for t in tensors.values())
        with open(os.path.join(a.out, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
            json.dump({"metadata": {"total_size": size}, "weight_map": wm}, f, indent=2)
    h = dict(h, torch_dtype={"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[a.dtype])
    with open(os.path.join(a.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(h, f, indent=2)
    print(json.dumps({"out": a.out, "params": sum(p.numel() for p in model.parameters()), "tensors": len(names)}))


def cmd_load_bench(a):
    """Seconds to turn a Hugging Face folder into a float32 model ready to run (bench/hf-load.ts)."""
    t0 = time.perf_counter()
    c = load_config(os.path.join(a.weights, "config.json"))
    # The weights are read next: skip nn.Linear's and nn.Embedding's random initialisation.
    saved = nn.Linear.reset_parameters, nn.Embedding.reset_parameters
    nn.Linear.reset_parameters = nn.Embedding.reset_parameters = lambda self: None
    try:
        model = Llama(c)
    finally:
        nn.Linear.reset_parameters, nn.Embedding.reset_parameters = saved
    load_weights(model, a.weights)
    t1 = time.perf_counter()
    print(json.dumps({"mode": "load", "load_s": t1 - t0, "params": sum(p.numel() for p in model.parameters()), "torch": torch.__version__}))


def cmd_train_bench(a):
    c = load_config(a.config)
    set_threads(a.threads)
    tr = c.get("train", {})
    B, T = a.batch or tr.get("batch_size", 8), a.seq_len or tr.get("seq_len", c["max_seq_len"])
    torch.manual_seed(0)
    model = Llama(c)
    model.init_weights(0)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1,
                            foreach=a.foreach)
    ids = torch.randint(0, c["vocab_size"], (B, T + 1))
    x, y = ids[:, :-1], ids[:, 1:]

    def step():
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, c["vocab_size"]), y.reshape(-1))
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    s = sorted(times)[len(times) // 2]  # median step
    tps = B * T / s
    print(json.dumps({"mode": "train", "config": os.path.basename(a.config), "threads": a.threads,
                      "batch": B, "seq_len": T, "steps": a.steps, "step_ms": s * 1e3,
                      "step_ms_mean": sum(times) / len(times) * 1e3, "tokens_per_s": tps,
                      "gflops": train_flops_per_token(c, T) * tps / 1e9, "loss": loss,
                      "params": sum(p.numel() for p in model.parameters()), "torch": torch.__version__}))


def generate(model, c, B, P, N, sample, seed):
    g = torch.Generator().manual_seed(seed)
    prompt = torch.randint(0, c["vocab_size"], (B, P), generator=g)
    out = torch.empty(B, N, dtype=torch.long)
    caches = model.new_caches(B, P + N)
    t0 = time.perf_counter()
    logits = model(prompt, 0, caches, last_only=True)[:, -1]            # (B, V)
    t1 = time.perf_counter()
    for i in range(N):
        if sample:
            nxt = torch.multinomial(logits.softmax(-1), 1, generator=g)  # temperature 1
        else:
            nxt = logits.argmax(-1, keepdim=True)
        out[:, i] = nxt[:, 0]
        logits = model(nxt, P + i, caches)[:, -1]                          # one forward per new token
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, out


def cmd_decode_bench(a, sample=False):
    c = load_config(a.config)
    set_threads(a.threads)
    if a.prompt + a.new > c["max_seq_len"]:
        fail(f"prompt {a.prompt} + new {a.new} exceeds max_seq_len {c['max_seq_len']}")
    model = Llama(c)
    model.init_weights(0)
    with torch.no_grad():
        generate(model, c, a.batch, min(a.prompt, 8), 4, sample, 1)    # warm up allocator and kernels
        best = None
        for r in range(a.repeats):
            pf, dc, _ = generate(model, c, a.batch, a.prompt, a.new, sample, 2 + r)
            if best is None or pf + dc < best[0] + best[1]:
                best = (pf, dc)
    pf, dc = best
    res = {"mode": "sample" if sample else "decode", "config": os.path.basename(a.config), "threads": a.threads,
           "batch": a.batch, "prompt": a.prompt, "new": a.new,
           "prefill_ms": pf * 1e3, "prefill_tokens_per_s": a.batch * a.prompt / pf,
           "decode_ms": dc * 1e3, "decode_tokens_per_s": a.batch * a.new / dc,
           "tokens_per_s": a.batch * a.new / (pf + dc), "torch": torch.__version__}
    print(json.dumps(res))


def naive_forward(c, P, ids):
    """The same model written a second way, token by token and head by head, from a dict of
    parameters: RoPE as complex rotation of (x[i], x[i + hd/2]), kv heads repeated explicitly,
    llama3 frequency scaling as a scalar loop (Meta's apply_scaling)."""
    B, T = ids.shape
    d, H, Hkv = c["d_model"], c["n_heads"], c["n_kv_heads"]
    hd, G = head_dim(c), H // Hkv
    half = hd // 2
    freqs = [float(c["rope_theta"]) ** (-2.0 * i / hd) for i in range(half)]
    rs = c.get("rope_scaling")
    if rs:
        scaled = []
        for f in freqs:
            wl = 2 * math.pi / f
            if wl < rs["original_max_position_embeddings"] / rs["high_freq_factor"]:
                scaled.append(f)
            elif wl > rs["original_max_position_embeddings"] / rs["low_freq_factor"]:
                scaled.append(f / rs["factor"])
            else:
                sm = (rs["original_max_position_embeddings"] / wl - rs["low_freq_factor"]) / (rs["high_freq_factor"] - rs["low_freq_factor"])
                scaled.append((1 - sm) * f / rs["factor"] + sm * f)
        freqs = scaled
    freq = torch.tensor(freqs, dtype=torch.float64)

    def norm(x, w):
        return x / torch.sqrt((x * x).sum(-1, keepdim=True) / x.shape[-1] + c["norm_eps"]) * w

    def rot(v, t):  # v (hd,) at position t
        z = torch.complex(v[:half], v[half:]) * torch.exp(1j * t * freq).to(torch.complex128)
        return torch.cat([z.real, z.imag]).to(v.dtype)

    x = P["model.embed_tokens.weight"][ids]
    for l in range(c["n_layers"]):
        pre = f"model.layers.{l}."
        h = norm(x, P[pre + "input_layernorm.weight"])
        q = h @ P[pre + "self_attn.q_proj.weight"].t()
        k = h @ P[pre + "self_attn.k_proj.weight"].t()
        v = h @ P[pre + "self_attn.v_proj.weight"].t()
        if c.get("qkv_bias"):
            q, k, v = q + P[pre + "self_attn.q_proj.bias"], k + P[pre + "self_attn.k_proj.bias"], v + P[pre + "self_attn.v_proj.bias"]
        if c.get("qk_norm"):
            q = norm(q.view(B, T, H, hd), P[pre + "self_attn.q_norm.weight"]).reshape(B, T, H * hd)
            k = norm(k.view(B, T, Hkv, hd), P[pre + "self_attn.k_norm.weight"]).reshape(B, T, Hkv * hd)
        y = torch.zeros(B, T, H * hd, dtype=x.dtype)
        for b in range(B):
            for head in range(H):
                kvh = head // G
                qs = torch.stack([rot(q[b, t, head * hd:(head + 1) * hd], t) for t in range(T)])
                ks = torch.stack([rot(k[b, t, kvh * hd:(kvh + 1) * hd], t) for t in range(T)])
                vs = v[b, :, kvh * hd:(kvh + 1) * hd]
                for t in range(T):
                    sc = torch.stack([qs[t].dot(ks[j]) / math.sqrt(hd) for j in range(t + 1)])
                    w = torch.exp(sc - sc.max())
                    y[b, t, head * hd:(head + 1) * hd] = (w / w.sum()) @ vs[:t + 1]
        x = x + y @ P[pre + "self_attn.o_proj.weight"].t()
        h = norm(x, P[pre + "post_attention_layernorm.weight"])
        g = h @ P[pre + "mlp.gate_proj.weight"].t()
        x = x + ((g / (1 + torch.exp(-g))) * (h @ P[pre + "mlp.up_proj.weight"].t())) @ P[pre + "mlp.down_proj.weight"].t()
    x = norm(x, P["model.norm.weight"])
    return x @ P["lm_head.weight" if "lm_head.weight" in P else "model.embed_tokens.weight"].t()


def cmd_selftest(a):
    """Checks the reference against naive_forward, the KV cache against the full forward, and the
    loss against an explicit log-softmax, in float64: tied and untied Llama, Qwen2 (biases), Qwen3
    (q/k norms, head_dim != d_model / n_heads) and llama3 RoPE scaling."""
    base = {"vocab_size": 37, "d_model": 24, "n_layers": 2, "n_heads": 6, "n_kv_heads": 2, "d_ff": 40,
            "max_seq_len": 16, "rope_theta": 10000, "norm_eps": 1e-5}
    variants = {
        "tied": dict(base, tie_embeddings=True),
        "untied": dict(base, tie_embeddings=False),
        "qwen2": dict(base, tie_embeddings=True, qkv_bias=True, n_kv_heads=3),
        "qwen3": dict(base, tie_embeddings=False, qk_norm=True, head_dim=10),
        "llama3": dict(base, tie_embeddings=False, head_dim=6, rope_theta=500.0,
                       rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 100}),
    }
    worst = {}
    for label, c in variants.items():
        tie = c["tie_embeddings"]
        model = Llama(c, torch.float64)
        model.init_weights(3)
        with torch.no_grad():  # make norms non-trivial so their weights are exercised
            for n, p in model.named_parameters():
                if n.endswith("norm.weight"):
                    p.uniform_(0.5, 1.5)
                else:
                    p.mul_(10.0)
        P = {n: p.detach() for n, p in model.named_parameters()}
        names = set(P)
        assert ("lm_head.weight" in names) == (not tie), names
        ids = torch.randint(0, c["vocab_size"], (2, 9), generator=torch.Generator().manual_seed(5))
        with torch.no_grad():
            full = model(ids[:, :-1])
            ref = naive_forward(c, P, ids[:, :-1])
            caches = model.new_caches(2, 8)
            steps = [model(ids[:, :3], 0, caches)] + [model(ids[:, t:t + 1], t, caches) for t in range(3, 8)]
            cached = torch.cat(steps, dim=1)
        loss = F.cross_entropy(full.reshape(-1, c["vocab_size"]), ids[:, 1:].reshape(-1))
        manual = -(full.log_softmax(-1).gather(-1, ids[:, 1:, None])).mean()
        worst[label] = {"naive": (full - ref).abs().max().item(), "kv_cache": (full - cached).abs().max().item(),
                               "loss": abs(loss.item() - manual.item()), "logit_scale": full.abs().max().item()}
    ok = all(v < 1e-9 for w in worst.values() for k, v in w.items() if k != "logit_scale")
    print(json.dumps({"ok": ok, "max_abs_diff": worst}))
    return 0 if ok else 1


def cmd_many(a, parser):
    """Runs the argument lists in --jobs (a JSON list) in this one process: tests that need many
    checks pay torch's start-up once. Prints the list of the JSON objects they print."""
    import contextlib
    import io
    with open(a.jobs, encoding="utf-8") as f:
        jobs = json.load(f)
    results = []
    for argv in jobs:
        sub = parser.parse_args(argv)
        if sub.mode == "many":
            fail("many: jobs cannot nest")
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            MODES[sub.mode](sub)
        results.append(json.loads(buf.getvalue().strip().split("\n")[-1]))
    print(json.dumps(results))


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("many")
    s.add_argument("--jobs", required=True)
    s.add_argument("--threads", type=int, default=1)
    s = sub.add_parser("check")
    s.add_argument("--weights", required=True)
    s.add_argument("--config")
    s.add_argument("--batch", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    s.add_argument("--threads", type=int, default=1)
    s = sub.add_parser("init")
    s.add_argument("--config", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    s.add_argument("--threads", type=int, default=1)
    s = sub.add_parser("write-hf")
    s.add_argument("--config", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    s.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    s.add_argument("--shards", type=int, default=1)
    s.add_argument("--threads", type=int, default=1)
    s = sub.add_parser("load-bench")
    s.add_argument("--weights", required=True)
    s.add_argument("--threads", type=int, default=1)
    s = sub.add_parser("train-bench")
    s.add_argument("--config", required=True)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--steps", type=int, default=10)
    s.add_argument("--warmup", type=int, default=2)
    s.add_argument("--batch", type=int, default=0, help="override the config's train.batch_size")
    s.add_argument("--seq-len", type=int, default=0, help="override the config's train.seq_len")
    s.add_argument("--foreach", action=argparse.BooleanOptionalAction, default=None,
                   help="AdamW's multi-tensor implementation (default: torch's choice)")
    for mode, batch in (("decode-bench", 1), ("sample-bench", 256)):
        s = sub.add_parser(mode)
        s.add_argument("--config", required=True)
        s.add_argument("--batch", type=int, default=batch)
        s.add_argument("--prompt", type=int, default=32)
        s.add_argument("--new", type=int, default=64)
        s.add_argument("--threads", type=int, default=1)
        s.add_argument("--repeats", type=int, default=3)
    s = sub.add_parser("selftest")
    s.add_argument("--threads", type=int, default=1)
    return p


MODES = {"check": cmd_check, "init": cmd_init, "write-hf": cmd_write_hf, "load-bench": cmd_load_bench, "train-bench": cmd_train_bench,
         "decode-bench": cmd_decode_bench, "sample-bench": lambda a: cmd_decode_bench(a, sample=True), "selftest": cmd_selftest}


def main():
    p = build_parser()
    a = p.parse_args()
    if getattr(a, "threads", 1) < 1:
        fail("--threads must be at least 1")
    set_threads(a.threads)
    rc = cmd_many(a, p) if a.mode == "many" else MODES[a.mode](a)
    return 0 if rc is None else rc


if __name__ == "__main__":
    sys.exit(main())
