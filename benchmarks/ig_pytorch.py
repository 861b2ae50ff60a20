#!/usr/bin/env python3
"""Integrated Gradients over FFN neurons, the way a PyTorch user would write it (eager mode).

The user's alternative to `prunescope-cli attribute`, measured by `benchmarks/compare-attribution.sh`
against `prunescope-cli bench attribution` in the same run. Same computation as Prunescope's
(core/attribution/integrated_gradients.cpp, docs/attribution.md):

- model: GPT-2-style, random weights (N(0, 0.02) matrices, unit LayerNorm scales, zero biases, tied
  head), default shape GPT-2 small: 12 layers, d 768, 12 heads (d / 64), FFN 4d, vocab 50257;
- prompt: T = 128 random tokens, one question at a time, 4 options " A".." D" (GPT-2 ids 317, 347,
  327, 360);
- target: log-softmax over the 4 letter logits, taken at the predicted letter (from an untimed
  scoring pass, as Prunescope takes it from its confidence pass);
- what is attributed: each FFN neuron's activation at the last position, GELU(c_fc x), multiplied by
  a gate g; "joint" scope: every layer's gates are alpha together, so later layers see the effect of
  scaling earlier ones. IG_li = integral_0^1 dF/dg_li(alpha) d alpha, with m-point Gauss-Legendre
  quadrature. Note dF/dg_li = a_li(alpha) * dF/dz_li(alpha) with z = g * a the scaled activation:
  "gradient w.r.t. the scaled activation times the activation", the activation taken on the path;
- completeness: sum IG = F(x) - F(0) (F(0): every FFN activation at the last position zeroed).

Two variants, both checked to give the same attributions:

recompute  as Captum's LayerIntegratedGradients: every alpha re-runs the whole T-token prompt; the m
           scaled copies run as rows of one batch (chunks of --internal-batch-size, default m), one
           forward and one backward each; F(x) and F(0) come from one extra forward of 2 rows (as
           Captum's convergence delta).
kv-cache   the first T-1 tokens run once (no grad) and their keys/values are kept; then only the last
           token runs, as m + 2 rows (the m alphas, F(0), F(x)) that attend to the cached prefix
           with one matrix product per head for all rows (the prefix is never copied per row).

Weights never require gradients; gradients are taken w.r.t. the gates only. (Captum's own
LayerIntegratedGradients over several layers would overwrite each layer's activation with
alpha * a(x), a(x) taken from the unscaled input: a different path with different numbers. Here both
variants follow Prunescope's gate path, so all three compute the same attributions; only the cost
pattern is Captum's.)

  python benchmarks/ig_pytorch.py                                    # GPT-2 small, 2 threads, 4 questions
  python benchmarks/ig_pytorch.py --layers 2 --d-model 128 --seq 32  # a quick check
  python benchmarks/ig_pytorch.py --json                             # one JSON object on stdout
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

LETTERS = [317, 347, 327, 360]  # " A", " B", " C", " D" in GPT-2's vocabulary


# ----------------------------------------------------------------------------------------------
# The model: GPT-2 (pre-LayerNorm blocks, fused q/k/v, GELU-tanh FFN, learned positions, tied head)
# ----------------------------------------------------------------------------------------------

class Block(torch.nn.Module):
    def __init__(self, d, n_head, n_ffn):
        super().__init__()
        self.n_head = n_head
        self.ln_1 = torch.nn.LayerNorm(d, eps=1e-5)
        self.c_attn = torch.nn.Linear(d, 3 * d)
        self.attn_proj = torch.nn.Linear(d, d)
        self.ln_2 = torch.nn.LayerNorm(d, eps=1e-5)
        self.c_fc = torch.nn.Linear(d, n_ffn)
        self.mlp_proj = torch.nn.Linear(n_ffn, d)

    def heads(self, x):
        """(..., d) -> q, k, v, each (..., H, hd)."""
        q, k, v = self.c_attn(self.ln_1(x)).split(x.size(-1), dim=-1)
        shape = x.shape[:-1] + (self.n_head, -1)
        return q.view(shape), k.view(shape), v.view(shape)

    def mlp(self, x, gate=None):
        """x (R, T, d) or (R, d). gate (R, n_ffn): multiplies the activations at the last position."""
        a = F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")
        if gate is not None:
            if a.dim() == 3:
                a = torch.cat([a[:, :-1], a[:, -1:] * gate[:, None, :]], dim=1)
            else:
                a = a * gate
        return self.mlp_proj(a)

    def forward_full(self, x, gate=None):
        """The whole sequence, causal. x (R, T, d) -> (R, T, d), and this block's keys and values."""
        q, k, v = (t.transpose(1, 2) for t in self.heads(x))  # (R, H, T, hd)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(att.transpose(1, 2).reshape(x.shape))
        return x + self.mlp(x, gate), (k, v)

    def forward_last(self, x, past, gate):
        """One new token per row, all rows continuing the same prefix.

        x (R, d); past = (k, v) of the prefix, each (H, P, hd), shared by every row (not copied).
        Each row attends to the P prefix positions and to its own key.
        """
        k_past, v_past = past
        q, k, v = (t.transpose(0, 1) for t in self.heads(x))  # (H, R, hd)
        scale = 1.0 / math.sqrt(q.size(-1))
        scores_past = torch.matmul(q, k_past.transpose(1, 2)) * scale  # (H, R, P): one product per head
        score_self = (q * k).sum(-1, keepdim=True) * scale  # (H, R, 1)
        probs = torch.softmax(torch.cat([scores_past, score_self], dim=-1), dim=-1)
        att = torch.matmul(probs[..., :-1], v_past) + probs[..., -1:] * v  # (H, R, hd)
        x = x + self.attn_proj(att.transpose(0, 1).reshape(x.shape))
        return x + self.mlp(x, gate)


class GPT2(torch.nn.Module):
    def __init__(self, n_layer, d, n_vocab, n_ctx, seed):
        super().__init__()
        self.n_head = max(1, d // 64)  # as prunescope-cli bench (benchConfig)
        self.n_ffn = 4 * d
        self.wte = torch.nn.Embedding(n_vocab, d)
        self.wpe = torch.nn.Embedding(n_ctx, d)
        self.blocks = torch.nn.ModuleList(Block(d, self.n_head, self.n_ffn) for _ in range(n_layer))
        self.ln_f = torch.nn.LayerNorm(d, eps=1e-5)
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith(".bias"):
                    p.zero_()
                elif p.dim() == 1:
                    p.fill_(1.0)
                else:
                    p.normal_(0.0, 0.02, generator=gen)
        self.requires_grad_(False)  # gradients w.r.t. the gates only
        self.eval()

    def letter_logits(self, h):
        """(R, d) final hidden states -> (R, 4) logits of the option letters (tied head, 4 rows)."""
        return F.linear(self.ln_f(h), self.wte.weight[LETTERS])

    def full(self, ids, gates=None):
        """ids (R, T) -> letter logits at the last position (R, 4), and every block's keys/values."""
        x = self.wte(ids) + self.wpe(torch.arange(ids.size(1)))
        kv = []
        for l, block in enumerate(self.blocks):
            x, past = block.forward_full(x, None if gates is None else gates[l])
            kv.append(past)
        return self.letter_logits(x[:, -1]), kv

    def last(self, token, position, kv, gates):
        """The last token as R rows (R = gates[0].size(0)) after a cached prefix -> (R, 4) logits."""
        rows = gates[0].size(0)
        x = (self.wte.weight[token] + self.wpe.weight[position]).expand(rows, -1)
        for block, past, gate in zip(self.blocks, kv, gates):
            x = block.forward_last(x, past, gate)
        return self.letter_logits(x)


# ----------------------------------------------------------------------------------------------
# Integrated Gradients
# ----------------------------------------------------------------------------------------------

def gauss_legendre(m):
    """m points and weights on [0, 1]; the weights sum to 1."""
    x, w = np.polynomial.legendre.leggauss(m)
    return (x + 1) / 2, w / 2


def target(logits, predicted):
    """The log-probability of the predicted letter, softmax over the 4 letters: (R, 4) -> (R,)."""
    return torch.log_softmax(logits, dim=-1)[:, predicted]


def make_gates(alphas, n_layer, n_ffn, grad):
    """One gate tensor per layer, (R, n_ffn), row r at alphas[r] (joint scope: same for every layer)."""
    column = torch.tensor(alphas, dtype=torch.float32)[:, None]
    return [column.expand(-1, n_ffn).clone().requires_grad_(grad) for _ in range(n_layer)]


def result(ig, fx, f0):
    error = abs(ig.sum().item() - (fx - f0)) / max(abs(fx - f0), 1e-30)
    return {"ig": ig, "fx": fx, "f0": f0, "completeness_error": error}


def ig_recompute(model, ids, predicted, steps, internal_batch_size):
    """Captum-style: every alpha re-runs the whole prompt. ids (T,) -> IG (n_layer, n_ffn) float64."""
    alphas, weights = gauss_legendre(steps)
    n_layer, n_ffn = len(model.blocks), model.n_ffn
    ig = torch.zeros(n_layer, n_ffn, dtype=torch.float64)
    for start in range(0, steps, internal_batch_size):
        a, w = alphas[start:start + internal_batch_size], weights[start:start + internal_batch_size]
        gates = make_gates(a, n_layer, n_ffn, grad=True)
        logits, _ = model.full(ids.expand(len(a), -1), gates)
        grads = torch.autograd.grad(target(logits, predicted).sum(), gates)
        w = torch.tensor(w, dtype=torch.float64)
        for l in range(n_layer):
            ig[l] += w @ grads[l].double()
    with torch.no_grad():  # the endpoints, for the completeness check (Captum: convergence delta)
        logits, _ = model.full(ids.expand(2, -1), make_gates([1.0, 0.0], n_layer, n_ffn, grad=False))
        fx, f0 = target(logits, predicted).double().tolist()
    return result(ig, fx, f0)


def ig_kv_cache(model, ids, predicted, steps):
    """The prefix once with its keys/values, then the last token's m + 2 scaled copies as one batch."""
    alphas, weights = gauss_legendre(steps)
    alphas = np.concatenate([alphas, [0.0, 1.0]])  # + F(0) and F(x) rows
    weights = np.concatenate([weights, [0.0, 0.0]])
    n_layer, n_ffn = len(model.blocks), model.n_ffn
    with torch.no_grad():
        _, kv = model.full(ids[None, :-1])
    kv = [(k[0], v[0]) for k, v in kv]  # (H, T-1, hd), shared by all rows
    gates = make_gates(alphas, n_layer, n_ffn, grad=True)
    f = target(model.last(ids[-1], ids.numel() - 1, kv, gates), predicted)  # (m + 2,)
    grads = torch.autograd.grad(f.sum(), gates)
    w = torch.tensor(weights, dtype=torch.float64)
    ig = torch.stack([w @ g.double() for g in grads])
    f0, fx = f[-2:].double().tolist()
    return result(ig, fx, f0)


# ----------------------------------------------------------------------------------------------
# The benchmark
# ----------------------------------------------------------------------------------------------

def matmul_peak_gflops(n=1024, seconds=1.0):
    """float32 n x n matmul GFLOP/s, as prunescope-cli bench measures its reference."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        torch.mm(a, b)
        reps += 1
    return 2.0 * n ** 3 * reps / (time.perf_counter() - start) / 1e9


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--questions", type=int, default=4, help="questions timed per variant (default 4)")
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--d-model", type=int, default=768)
    p.add_argument("--vocab", type=int, default=50257)
    p.add_argument("--seq", type=int, default=128, help="prompt tokens T (default 128)")
    p.add_argument("--steps", type=int, default=20, help="Gauss-Legendre points m (default 20)")
    p.add_argument("--internal-batch-size", type=int, default=0,
                   help="recompute: scaled copies per forward/backward (default 0: all m at once)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = p.parse_args()
    if args.seq < 2 or args.vocab <= max(LETTERS) or args.d_model % max(1, args.d_model // 64):
        p.error("needs --seq >= 2, --vocab > 360 and --d-model divisible by d-model / 64")
    ibs = args.internal_batch_size if args.internal_batch_size > 0 else args.steps

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = GPT2(args.layers, args.d_model, args.vocab, max(args.seq + 1, 1024), args.seed)
    gen = torch.Generator().manual_seed(args.seed + 1)
    prompts = [torch.randint(0, args.vocab, (args.seq,), generator=gen) for _ in range(args.questions)]
    with torch.no_grad():  # the confidence pass (untimed): which letter each question predicts
        predicted = [int(model.full(ids[None])[0].argmax()) for ids in prompts]
    peak = matmul_peak_gflops()

    ig_kv_cache(model, prompts[0], predicted[0], args.steps)  # warm-up (as prunescope-cli bench)
    start = time.perf_counter()
    kv = [ig_kv_cache(model, ids, c, args.steps) for ids, c in zip(prompts, predicted)]
    kv_seconds = (time.perf_counter() - start) / args.questions
    start = time.perf_counter()
    rc = [ig_recompute(model, ids, c, args.steps, ibs) for ids, c in zip(prompts, predicted)]
    rc_seconds = (time.perf_counter() - start) / args.questions

    max_rel = max(((a["ig"] - b["ig"]).abs().max() / b["ig"].abs().max()).item() for a, b in zip(kv, rc))
    max_f = max(max(abs(a["fx"] - b["fx"]), abs(a["f0"] - b["f0"])) for a, b in zip(kv, rc))
    kv_error = sum(r["completeness_error"] for r in kv) / len(kv)
    rc_error = sum(r["completeness_error"] for r in rc) / len(rc)
    agree = max_rel < 1e-5  # float32 rounding: ~1e-7 to 1e-6 expected
    out = {
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "layers": args.layers, "d_model": args.d_model, "heads": model.n_head, "ffn": model.n_ffn,
        "vocab": args.vocab, "seq": args.seq,
        "steps": args.steps, "internal_batch_size": ibs, "questions": args.questions,
        "kv_cache_s_per_question": kv_seconds, "recompute_s_per_question": rc_seconds,
        "speedup_kv_cache_over_recompute": rc_seconds / kv_seconds,
        "max_rel_diff": max_rel, "max_abs_diff_f": max_f,
        "completeness_error_kv_cache": kv_error, "completeness_error_recompute": rc_error,
        "matmul_peak_gflops": peak, "agree": agree,
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"model           gpt2 shape, {args.layers} layers, d {args.d_model}, FFN {model.n_ffn}, "
              f"vocab {args.vocab}, random weights; torch {torch.__version__}, {out['threads']} thread(s)")
        print(f"questions       {args.questions} of {args.seq} tokens, 4 letters; "
              f"{args.steps} Gauss-Legendre points; joint scope; target log-softmax of the predicted letter")
        print(f"kv-cache        {kv_seconds:.3f} s per question")
        print(f"recompute       {rc_seconds:.3f} s per question ({ibs} scaled copies per pass)")
        print(f"speed-up        {rc_seconds / kv_seconds:.1f}x (kv-cache over recompute)")
        print(f"max rel. diff   {max_rel:.2e} (kv-cache vs recompute IG); F(x), F(0) differ by {max_f:.1e}")
        print(f"completeness    mean relative error {kv_error:.2e} (kv-cache), {rc_error:.2e} (recompute)")
        print(f"matmul peak     {peak:.1f} GFLOP/s (1024^2 float32, same run)")
    if not agree:
        print(f"ig_pytorch: the variants disagree ({max_rel:.2e} relative)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
