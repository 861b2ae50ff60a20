#!/usr/bin/env python3
"""Reference numbers for the real SmolLM2-135M-Instruct GGUF, computed by Hugging Face transformers.

transformers loads the *same* GGUF file (it dequantizes the Q4_1/Q8_0 tensors with the gguf package
and un-permutes llama.cpp's rotary order itself), runs its own LlamaForCausalLM in float32 on the
CPU, and this script writes what Prunescope's tests compare against:

  tests/data/real/smollm2-reference.json     tokenizer ids, greedy generations (with each step's
                                             top-2 margin), ARC-Easy validation letter scores
  tests/data/real/smollm2-logits.safetensors full-vocabulary logits at every position of 3 prompts
  tests/data/real/stories260K-tokenizer.json SentencePiece's own ids for stories260K's vocabulary
  tests/data/real/smollm2-pruned-logits.safetensors  (--export-check CLI) transformers' logits of the
                                             folder `prunescope-cli finetune` writes from the GGUF
                                             with tests/data/real/smollm2-mask.json baked in

Tokenizer: transformers builds the GGUF's BPE tokenizer with the plain GPT-2 byte-level
pre-tokenizer and ignores `tokenizer.ggml.pre`. The file says "smollm", which llama.cpp (and
SmolLM2's own tokenizer.json) implement as "every digit its own piece, then the GPT-2 split"; the
script applies exactly that (pre_tokenizers.Digits(individual_digits=True) before ByteLevel) and
records how many texts the unpatched tokenizer would have split differently.

Run only when asked (make test does not need Python):
    python3 tests/reference/real_model_reference.py \
        --venv "$(scripts/python-env.sh reference)" --gguf "$(scripts/fetch-models.sh)"
(the --venv flag re-runs the script with that environment's interpreter).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "tests" / "data" / "real"

LOGIT_PROMPTS = [
    "The capital of France is",
    "Question: Which of these animals is a mammal?\nA. shark\nB. dolphin\nAnswer:",
    "In 1969, 3 astronauts flew 384,400 km to the Moon.",
]
GENERATION_PROMPTS = [
    "Once upon a time, there was a little robot who",
    "The three primary colors are",
    "Question: What is 12 + 7?\nAnswer:",
]
N_GENERATE = 64


def letter_prompt(record):
    """Prunescope's default letter prompt (core/data/prompt.h), written out independently."""
    lines = [f"{chr(ord('A') + i)}. {text.strip()}" for i, text in enumerate(record["choices"]["text"])]
    return "Question: " + record["question"].strip() + "\n" + "\n".join(lines) + "\nAnswer:"


# The folder `prunescope-cli finetune` writes from the GGUF with a mask (pruning baked in), as
# tests/core/model/test_real_models.cpp makes it too.
def finetune_command(cli, gguf, out):
    return [str(cli), "finetune", "--model", str(gguf),
            "--data", str(ROOT / "tests" / "data" / "mcq" / "arc-hf-challenge-validation-head40.jsonl"),
            "--mask", str(OUT / "smollm2-mask.json"), "--out", str(out), "--max-steps", "2",
            "--batch-size", "2", "--validation-split", "none", "--seed", "0", "--quiet"]


def export_check(cli, gguf):
    """transformers loads the folder Prunescope wrote; its logits become the reference."""
    import tempfile

    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "pruned"
        t0 = time.time()
        subprocess.run(finetune_command(cli, gguf, out), check=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
        finetune_s = time.time() - t0
        tok = AutoTokenizer.from_pretrained(str(out))
        model = AutoModelForCausalLM.from_pretrained(str(out), dtype=torch.float32)
        model.eval()
        mask = json.loads((OUT / "smollm2-mask.json").read_text())
        zero = True
        for e in mask["pruned"]:
            mlp = model.model.layers[e["layer"]].mlp
            n = e["neuron"]
            zero &= bool((mlp.gate_proj.weight[n] == 0).all() and (mlp.up_proj.weight[n] == 0).all()
                         and (mlp.down_proj.weight[:, n] == 0).all())
        tensors = {}
        with torch.no_grad():
            for i, p in enumerate(LOGIT_PROMPTS[:2]):
                ids = tok(p, add_special_tokens=False)["input_ids"]
                tensors[f"logits.{i}"] = model(torch.tensor([ids])).logits[0].float().contiguous()
                tensors[f"ids.{i}"] = torch.tensor(ids, dtype=torch.int64)
        save_file(tensors, str(OUT / "smollm2-pruned-logits.safetensors"),
                  metadata={"format": "pt", "command": " ".join(finetune_command("prunescope-cli", gguf.name, "OUT"))})
        print(f"export check: finetune {finetune_s:.1f} s; pruned neurons zero in transformers' weights: {zero}")
        if not zero:
            sys.exit("pruned neurons are not zero in the saved folder")


def shared_strings():
    strings = []
    for d in ["gpt2-openai", "mistral-7b", "qwen3"]:
        for case in json.loads((SHARED / "tokenizers" / d / "test-vectors.json").read_text())["cases"]:
            if case["text"] not in strings:
                strings.append(case["text"])
    return strings


def stories_tokenizer_reference(strings):
    """stories260K's vocabulary, by SentencePiece itself: tok512.model holds the same 512 pieces
    and scores as the GGUF (../shared/data/models/stories260K/SOURCES.md). Its normalizer removes
    extra whitespace; the GGUF does not record that, and llama.cpp (like Prunescope) then keeps it,
    so "ids" come from the same model with remove_extra_whitespaces off, and "ids_as_trained" with
    the model's own setting."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2 as pb

    path = SHARED / "models" / "stories260K" / "tok512.model"
    trained = sentencepiece.SentencePieceProcessor(model_file=str(path))
    proto = pb.ModelProto()
    proto.ParseFromString(path.read_bytes())
    removed = proto.normalizer_spec.remove_extra_whitespaces
    proto.normalizer_spec.remove_extra_whitespaces = False
    kept = sentencepiece.SentencePieceProcessor(model_proto=proto.SerializeToString())
    arc_lines = (SHARED / "mcq" / "arc-hf-jsonl" / "ARC-Easy-validation.jsonl").read_text().splitlines()
    texts = strings + [letter_prompt(json.loads(l)) for l in arc_lines[:100]]
    out = {"sentencepiece": sentencepiece.__version__, "model_removes_extra_whitespaces": removed,
           "cases": [{"text": t, "ids": kept.encode(t), "ids_as_trained": trained.encode(t)} for t in texts]}
    (OUT / "stories260K-tokenizer.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"stories260K: {sum(c['ids'] != c['ids_as_trained'] for c in out['cases'])} of {len(texts)} texts "
          f"differ with the model's whitespace normalization")


def load_smollm2(gguf):
    """transformers' tokenizer and float32 model from the GGUF, the tokenizer with the "smollm"
    pre-tokenizer applied (see the module docstring); also the unpatched tokenizer."""
    import torch
    from tokenizers import pre_tokenizers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf.parent), gguf.name
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    plain = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True),
         pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    return tok, plain, model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True, type=pathlib.Path)
    ap.add_argument("--venv", type=pathlib.Path)
    ap.add_argument("--stories-only", action="store_true", help="only the stories260K tokenizer reference")
    ap.add_argument("--export-check", type=pathlib.Path, metavar="CLI",
                    help="only: run this prunescope-cli's finetune and compute transformers' logits of its output")
    args = ap.parse_args()
    if args.venv and pathlib.Path(sys.prefix).resolve() != args.venv.resolve():
        py = args.venv / "bin" / "python"
        extra = ["--export-check", str(args.export_check)] if args.export_check else []
        extra += ["--stories-only"] if args.stories_only else []
        sys.exit(subprocess.call([str(py), __file__, "--gguf", str(args.gguf)] + extra))
    if args.export_check:
        export_check(args.export_check.resolve(), args.gguf)
        return
    if args.stories_only:
        stories_tokenizer_reference(shared_strings())
        return

    import numpy as np
    import torch
    import transformers
    from safetensors.torch import save_file

    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    t0 = time.time()
    name = args.gguf.name
    tok, plain, model = load_smollm2(args.gguf)
    load_s = time.time() - t0

    def encode(text):
        return tok(text, add_special_tokens=False)["input_ids"]

    differ = 0

    def encode_counted(text):
        nonlocal differ
        ids = encode(text)
        if ids != plain(text, add_special_tokens=False)["input_ids"]:
            differ += 1
        return ids

    out = {
        "model": name,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "dtype": "float32",
        "tokenizer_note": "transformers' GGUF tokenizer with tokenizer.ggml.pre 'smollm' applied "
                          "(Digits(individual_digits) before ByteLevel), as llama.cpp defines it",
    }

    # Tokenizer: the shared test strings and every ARC-Easy validation prompt.
    strings = shared_strings()
    out["tokenizer_cases"] = [{"text": s, "ids": encode_counted(s)} for s in strings]

    # Full-vocabulary logits.
    tensors = {}
    with torch.no_grad():
        for i, p in enumerate(LOGIT_PROMPTS):
            ids = encode_counted(p)
            logits = model(torch.tensor([ids])).logits[0].float().contiguous()
            tensors[f"logits.{i}"] = logits
            tensors[f"ids.{i}"] = torch.tensor(ids, dtype=torch.int64)

    # Greedy generation: the ids and, per step, the margin between the top two logits.
    gens = []
    with torch.no_grad():
        for p in GENERATION_PROMPTS:
            ids = encode_counted(p)
            seq = list(ids)
            margins = []
            for _ in range(N_GENERATE):
                logits = model(torch.tensor([seq])).logits[0, -1]
                top = torch.topk(logits, 2)
                margins.append(float(top.values[0] - top.values[1]))
                seq.append(int(top.indices[0]))
            gens.append({"prompt": p, "prompt_ids": ids, "generated_ids": seq[len(ids):], "top2_margins": margins})
    out["generation"] = gens

    # ARC-Easy validation, letter scoring: logits of " A", " B", ... after the prompt.
    letters = [encode(" " + chr(ord("A") + i)) for i in range(5)]
    assert all(len(l) == 1 for l in letters), letters
    letter_ids = [l[0] for l in letters]
    arc = []
    correct = 0
    t1 = time.time()
    with torch.no_grad():
        for line in (SHARED / "mcq" / "arc-hf-jsonl" / "ARC-Easy-validation.jsonl").read_text().splitlines():
            r = json.loads(line)
            prompt = letter_prompt(r)
            ids = encode_counted(prompt)
            n = len(r["choices"]["text"])
            logits = model(torch.tensor([ids])).logits[0, -1]
            option = logits[letter_ids[:n]].double()
            logp = torch.log_softmax(option, 0)
            pred = int(torch.argmax(option))
            gold = r["choices"]["label"].index(r["answerKey"])
            correct += pred == gold
            arc.append({"id": r["id"], "ids": ids, "predicted": pred, "gold": gold,
                        "letter_log_probs": [float(x) for x in logp]})
    out["arc_easy_validation"] = {"questions": len(arc), "accuracy": correct / len(arc),
                                  "letter_ids": letter_ids, "items": arc,
                                  "seconds": time.time() - t1}
    out["texts_tokenized_differently_without_smollm_pre"] = differ
    out["load_seconds"] = load_s

    OUT.mkdir(parents=True, exist_ok=True)
    stories_tokenizer_reference(strings)
    save_file(tensors, str(OUT / "smollm2-logits.safetensors"), metadata={"format": "pt", "model": name})
    (OUT / "smollm2-reference.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"ARC-Easy validation accuracy {correct}/{len(arc)} = {correct/len(arc):.4f}; "
          f"{differ} texts tokenized differently without the smollm pre-tokenizer; wrote {OUT}")


if __name__ == "__main__":
    main()
