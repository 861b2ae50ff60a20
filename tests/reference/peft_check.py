#!/usr/bin/python3
"""Checks a LoRA adapter written by `prunescope-cli finetune --lora R --save-adapter ADAPTER` with
the Hugging Face PEFT library itself: the base model with the mask baked in, plus the adapter loaded
by PeftModel, must give the logits of the merged model that the same run wrote to --out.

    prunescope-cli finetune --model BASE --data D.jsonl --mask mask.json --lora 4 \\
        --save-adapter ADAPTER --out MERGED
    python3 tests/reference/peft_check.py --base BASE --mask mask.json --adapter ADAPTER --merged MERGED

Needs torch, transformers and peft (not a project requirement; install them in a virtual
environment of your own). Prints the largest logit difference; exits 1 above --tolerance.
"""
import argparse
import json
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM


def bake_mask(model, mask_path):
    """Zeroes the weights that feed and read the pruned neurons, as Prunescope's bakeInto does."""
    mask = json.load(open(mask_path))
    per_layer = {}
    for e in mask["pruned"]:
        per_layer.setdefault(e["layer"], []).append(e["neuron"])
    with torch.no_grad():
        for layer, neurons in per_layer.items():
            idx = torch.tensor(sorted(neurons))
            if model.config.model_type == "gpt2":
                mlp = model.transformer.h[layer].mlp
                mlp.c_fc.weight[:, idx] = 0  # (d, n): Conv1D columns feed the neurons
                mlp.c_fc.bias[idx] = 0
                mlp.c_proj.weight[idx, :] = 0  # (n, d): rows read them
            else:
                mlp = model.model.layers[layer].mlp
                for proj in (mlp.gate_proj, mlp.up_proj):
                    proj.weight[idx, :] = 0
                    if proj.bias is not None:
                        proj.bias[idx] = 0
                mlp.down_proj.weight[:, idx] = 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--mask")
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--merged", required=True)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    base = AutoModelForCausalLM.from_pretrained(args.base, torch_dtype=torch.float32)
    if args.mask:
        bake_mask(base, args.mask)
    peft_model = PeftModel.from_pretrained(base, args.adapter).eval()
    merged = AutoModelForCausalLM.from_pretrained(args.merged, torch_dtype=torch.float32).eval()

    torch.manual_seed(0)
    ids = torch.randint(0, min(base.config.vocab_size, 1000), (2, 12))
    with torch.no_grad():
        a = peft_model(input_ids=ids).logits
        b = merged(input_ids=ids).logits
    diff = (a - b).abs().max().item()
    print(f"base + PEFT adapter vs merged: max |diff| = {diff:.3g} (tolerance {args.tolerance:g})")
    sys.exit(0 if diff <= args.tolerance else 1)


if __name__ == "__main__":
    main()
