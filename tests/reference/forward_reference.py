#!/usr/bin/python3
"""Independent reference logits for the tiny test models.

Reads each tests/data/models/<name>/ (config.json + model.safetensors) with its own safetensors
parser, computes the logits of fixed token ids with a plain, loop-heavy float64 implementation of
the architecture written from the Hugging Face model descriptions (not from Prunescope's code), and
writes tests/data/models/<name>/expected.json. Run once after (re)creating the models:

    tests/reference/make_models.sh   # builds the models with prunescope-cli, then runs this

Needs Debian's python3-torch and python3-numpy.
"""
import json
import math
import pathlib
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def read_safetensors(path):
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = body[a:b]
        if info["dtype"] == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float64)
        elif info["dtype"] == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float64)
        elif info["dtype"] == "BF16":
            u16 = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32).astype(np.float64)
        else:
            raise ValueError(f"{path}: {name}: dtype {info['dtype']}")
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def token_ids(vocab, batch=2, length=12, seed=12345):
    state = seed
    rows = []
    for _ in range(batch):
        row = []
        for _ in range(length):
            state = (state * 1103515245 + 12345) % (2**31)
            row.append(state % vocab)
        rows.append(row)
    return rows


def softmax_attention(q, k, v, allowed):
    # q: (T, hd), k, v: (S, hd); allowed: (T, S) booleans
    scores = q @ k.T / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def gpt2_logits(cfg, W, ids):
    d, nh = cfg["n_embd"], cfg["n_head"]
    hd = d // nh
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    T = len(ids)
    x = torch.stack([W["wte.weight"][i] + W["wpe.weight"][p] for p, i in enumerate(ids)])
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layer"]):
        p = f"h.{l}."
        h = layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        qkv = h @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]
        q, k, v = qkv[:, :d], qkv[:, d : 2 * d], qkv[:, 2 * d :]
        heads = [softmax_attention(q[:, i * hd : (i + 1) * hd], k[:, i * hd : (i + 1) * hd],
                                   v[:, i * hd : (i + 1) * hd], allowed) for i in range(nh)]
        a = torch.cat(heads, dim=-1) @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        x = x + a
        h = layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        m = gelu_new(h @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"])
        x = x + m @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"]
    x = layer_norm(x, W["ln_f.weight"], W["ln_f.bias"], eps)
    head = W.get("lm_head.weight", W["wte.weight"])
    return x @ head.T


def rope_inv_freq(cfg, hd):
    theta = cfg.get("rope_theta", 10000.0)
    inv = [1.0 / theta ** (2 * i / hd) for i in range(hd // 2)]
    rs = cfg.get("rope_scaling")
    if rs and rs.get("rope_type", rs.get("type")) == "llama3":
        factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        out = []
        for f in inv:
            wavelen = 2 * math.pi / f
            if wavelen < old / hi:
                out.append(f)
            elif wavelen > old / lo:
                out.append(f / factor)
            else:
                smooth = (old / wavelen - lo) / (hi - lo)
                out.append((1 - smooth) * f / factor + smooth * f)
        inv = out
    elif rs and rs.get("rope_type", rs.get("type")) == "linear":
        inv = [f / rs["factor"] for f in inv]
    return inv


def rotate(x, pos, inv):
    # x: (hd,) rotated in the half-split convention: pairs (i, i + hd/2)
    half = len(inv)
    out = x.clone()
    for i, f in enumerate(inv):
        c, s = math.cos(pos * f), math.sin(pos * f)
        a, b = x[i].item(), x[i + half].item()
        out[i] = a * c - b * s
        out[i + half] = b * c + a * s
    return out


def rms_norm(x, w, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def llama_logits(cfg, W, ids):
    d, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads", nh)
    hd = cfg.get("head_dim", d // nh)
    eps = cfg.get("rms_norm_eps", 1e-6)
    window = cfg.get("sliding_window") if cfg["model_type"] == "mistral" else None
    bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    inv = rope_inv_freq(cfg, hd)
    T = len(ids)
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))
    if window:
        for t in range(T):
            for s in range(T):
                if t - s >= window:
                    allowed[t, s] = False
    x = torch.stack([W["model.embed_tokens.weight"][i] for i in ids])
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)

        def proj(name):
            y = h @ W[p + f"self_attn.{name}.weight"].T
            return y + W[p + f"self_attn.{name}.bias"] if bias else y

        q, k, v = proj("q_proj"), proj("k_proj"), proj("v_proj")
        heads = []
        for i in range(nh):
            j = i // (nh // nkv)
            qi = torch.stack([rotate(q[t, i * hd : (i + 1) * hd], t, inv) for t in range(T)])
            kj = torch.stack([rotate(k[t, j * hd : (j + 1) * hd], t, inv) for t in range(T)])
            heads.append(softmax_attention(qi, kj, v[:, j * hd : (j + 1) * hd], allowed))
        x = x + torch.cat(heads, dim=-1) @ W[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        gate = h @ W[p + "mlp.gate_proj.weight"].T
        up = h @ W[p + "mlp.up_proj.weight"].T
        x = x + (gate * torch.sigmoid(gate) * up) @ W[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    return x @ head.T


def main(root):
    for folder in sorted(pathlib.Path(root).iterdir()):
        if not (folder / "config.json").exists():
            continue
        cfg = json.loads((folder / "config.json").read_text())
        W = read_safetensors(folder / "model.safetensors")
        ids = token_ids(cfg["vocab_size"])
        fn = gpt2_logits if cfg["model_type"] == "gpt2" else llama_logits
        logits = [fn(cfg, W, row).tolist() for row in ids]
        (folder / "expected.json").write_text(json.dumps({"input_ids": ids, "logits": logits}))
        print(f"{folder.name}: logits {len(ids)} x {len(ids[0])} x {len(logits[0][0])}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[1] / "data" / "models")
