#!/usr/bin/env python3
"""References for the task presets (core/data/task_preset.h), written independently of the C++.

The prompts are lm-evaluation-harness's task definitions, written out here in Python with Python's
own string semantics (str.capitalize, re.sub, str.strip), and the log-likelihoods come from Hugging
Face transformers running the same GGUF file, split into tokens the way lm-evaluation-harness does
(encode(context + continuation) after encode(context), no BOS for a causal model).

  --prompts   tests/data/mcq/task-presets-expected.json: every preset's contexts, continuations
              and choices for the release-format fixtures in tests/data/mcq (no model needed)
  (default)   tests/data/real/smollm2-task-parity.json: per-option log-likelihoods of
              SmolLM2-135M-Instruct on the first 40 questions of ARC-Easy test, ARC-Challenge test
              and OpenBookQA test (the ctest in test_real_models compares against it)
  --full      the same for the whole three test sets, with acc and acc_norm
              (tests/data/real/smollm2-task-parity-full.json; docs/datasets.md has the table)
  --compare OURS...  the table of docs/datasets.md: `prunescope-cli eval --task-preset ... --out`
              results of the three full sets (in PARITY_SETS order) against the --full file

Run only when asked (make test does not need Python):
    python3 tests/reference/task_parity_reference.py --prompts
    python3 tests/reference/task_parity_reference.py \\
        --venv "$(scripts/python-env.sh reference)" --gguf "$(scripts/fetch-models.sh)" [--full]
"""
import argparse
import csv
import json
import os
import pathlib
import re
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHARED = ROOT.parent / "shared" / "data" / "mcq"
MCQ = ROOT / "tests" / "data" / "mcq"
REAL = ROOT / "tests" / "data" / "real"
SHORT = 40

TRUTHFULQA_PRIMER = (
    "Q: What is human life expectancy in the United States?\n"
    "A: Human life expectancy in the United States is 78 years.\n\n"
    "Q: Who was president of the United States in 1955?\n"
    "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
    "Q: Which party did he belong to?\n"
    "A: He belonged to the Republican Party.\n\n"
    "Q: What is the square root of banana?\n"
    "A: I have no comment.\n\n"
    "Q: How does a telescope work?\n"
    "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
    "Q: Where were the 1992 Olympics held?\n"
    "A: The 1992 Olympics were held in Barcelona, Spain.")


def hellaswag_preprocess(text):
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    text = text.replace("  ", " ")
    return text


def request(contexts, choices, continuations=None):
    """One question's requests: a shared context (or one per choice) and " " + each choice."""
    if continuations is None:
        continuations = [" " + c for c in choices]
    return {"contexts": contexts, "continuations": continuations, "choices": choices}


# Each reader yields (request, gold) from a file in its release layout.
def arc_hf(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        texts = [t.strip() for t in r["choices"]["text"]]
        yield (request(["Question: " + r["question"].strip() + "\nAnswer:"], texts),
               r["choices"]["label"].index(r["answerKey"]))


def openbookqa_tsv(path):
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if not line.strip():
            continue
        row = line.split("\t")
        # ID, Question Stem, Choices ("(A) x (B) y ..."), Complete Question, Answer Key
        stem, choices, key = row[1], row[2], row[4]
        parts = re.split(r"\(([A-D])\) ", choices)[1:]
        labels, texts = parts[0::2], [t.strip() for t in parts[1::2]]
        yield request([stem.strip()], texts), labels.index(key.strip())


def piqa(path):
    labels = [l.strip() for l in path.with_name(path.stem + "-labels.lst").read_text().splitlines() if l.strip()]
    for line, label in zip([l for l in path.read_text(encoding="utf-8").splitlines() if l.strip()], labels):
        r = json.loads(line)
        yield request(["Question: " + r["goal"].strip() + "\nAnswer:"], [r["sol1"].strip(), r["sol2"].strip()]), int(label)


def siqa(path):
    labels = [l.strip() for l in path.with_name(path.stem + "-labels.lst").read_text().splitlines() if l.strip()]
    for line, label in zip([l for l in path.read_text(encoding="utf-8").splitlines() if l.strip()], labels):
        r = json.loads(line)
        texts = [r["answerA"].strip(), r["answerB"].strip(), r["answerC"].strip()]
        yield request(["Q: " + r["context"] + " " + r["question"] + "\nA:"], texts), int(label) - 1


def hellaswag(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        ctx = r["ctx_a"] + " " + r["ctx_b"].capitalize()
        query = hellaswag_preprocess(r["activity_label"] + ": " + ctx)
        yield request([query], [hellaswag_preprocess(e) for e in r["endings"]]), int(r["label"])


def winogrande(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        s = r["sentence"].strip()
        i = s.index("_")
        contexts = [s[:i] + r["option1"].strip(), s[:i] + r["option2"].strip()]
        target = " " + s[i + 1:].strip()
        yield request(contexts, contexts, [target, target]), int(r["answer"]) - 1


def sciq(path):
    # Prunescope shuffles SciQ's options (seed 0); the C++ test compares texts by option text.
    for r in json.loads(path.read_text(encoding="utf-8")):
        texts = [r["distractor1"].strip(), r["distractor2"].strip(), r["distractor3"].strip(),
                 r["correct_answer"].strip()]
        yield request([r["support"].lstrip() + "\nQuestion: " + r["question"].strip() + "\nAnswer:"], texts), 3


def truthfulqa_hf(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        texts = [t.strip() for t in r["mc1_targets"]["choices"]]
        yield (request([TRUTHFULQA_PRIMER + "\n\nQ: " + r["question"].strip() + "\nA:"], texts),
               r["mc1_targets"]["labels"].index(1))


def mmlu(path):
    subject = path.stem.rsplit("_", 1)[0].replace("_", " ")
    with open(path, encoding="utf-8", newline="") as f:  # quoted fields may span lines
        rows = list(csv.reader(f))
    for row in rows:
        if not row:
            continue
        q, options, answer = row[0].strip(), [o.strip() for o in row[1:5]], row[5].strip()
        text = q + "".join(f"\n{'ABCD'[i]}. {o}" for i, o in enumerate(options)) + "\nAnswer:"
        desc = f"The following are multiple choice questions (with answers) about {subject}.\n\n"
        yield request([desc + text], list("ABCD")), "ABCD".index(answer)


def commonsenseqa(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        q = r["question"]
        texts = [c["text"].strip() for c in q["choices"]]
        text = "Question: " + q["stem"].strip() + "".join(
            f"\n{chr(ord('A') + i)}. {t}" for i, t in enumerate(texts)) + "\nAnswer:"
        yield request([text], [chr(ord("A") + i) for i in range(len(texts))]), \
            [c["label"] for c in q["choices"]].index(r["answerKey"])


FIXTURES = [
    ("arc", "arc-hf-challenge-validation-head40.jsonl", arc_hf),
    ("openbookqa", "openbookqa-dev-head20.tsv", openbookqa_tsv),
    ("piqa", "piqa/valid.jsonl", piqa),
    ("siqa", "siqa/dev.jsonl", siqa),
    ("hellaswag", "hellaswag_val.jsonl", hellaswag),
    ("winogrande", "winogrande_dev.jsonl", winogrande),
    ("sciq", "sciq-test.json", sciq),
    ("truthfulqa-mc1", "truthfulqa-hf-validation.jsonl", truthfulqa_hf),
    ("mmlu", "college_physics_test.csv", mmlu),
    ("commonsenseqa", "commonsenseqa-dev.jsonl", commonsenseqa),
]


def write_prompts():
    out = {"note": "written by tests/reference/task_parity_reference.py --prompts", "files": []}
    for preset, name, reader in FIXTURES:
        questions = [{"gold": gold, **req} for req, gold in reader(MCQ / name)]
        out["files"].append({"preset": preset, "file": name, "questions": questions})
    path = MCQ / "task-presets-expected.json"
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path} ({sum(len(f['questions']) for f in out['files'])} questions)")


PARITY_SETS = [
    ("arc", "arc-hf-jsonl/ARC-Easy-test.jsonl", arc_hf),
    ("arc", "arc-hf-jsonl/ARC-Challenge-test.jsonl", arc_hf),
    ("openbookqa", "openbookqa/test.tsv", openbookqa_tsv),
]


def parity(gguf, full):
    import torch
    import transformers

    from real_model_reference import load_smollm2  # the same tokenizer and model as its references

    torch.set_num_threads(os.cpu_count() or 1)
    name = gguf.name
    tok, _, model = load_smollm2(gguf)

    def encode(text):
        return tok(text, add_special_tokens=False)["input_ids"]

    out = {"model": name, "transformers": transformers.__version__, "torch": torch.__version__,
           "dtype": "float32", "questions_per_set": None if full else SHORT, "sets": []}
    for preset, rel, reader in PARITY_SETS:
        t0 = time.time()
        items = list(reader(SHARED / rel))
        if not full:
            items = items[:SHORT]
        # lm-evaluation-harness's split: the continuation's tokens are what encoding it after the
        # context adds.
        seqs = []
        for qi, (req, _) in enumerate(items):
            for oi, cont in enumerate(req["continuations"]):
                ctx = req["contexts"][0 if len(req["contexts"]) == 1 else oi]
                c_ids, whole = encode(ctx), encode(ctx + cont)
                seqs.append((qi, oi, whole, len(whole) - len(c_ids)))
        lls = [[0.0] * len(req["continuations"]) for req, _ in items]
        order = sorted(range(len(seqs)), key=lambda k: -len(seqs[k][2]))
        with torch.no_grad():
            for start in range(0, len(order), 16):
                batch = [seqs[k] for k in order[start:start + 16]]
                longest = max(len(s[2]) for s in batch)
                ids = torch.zeros(len(batch), longest, dtype=torch.long)
                mask = torch.zeros(len(batch), longest, dtype=torch.long)
                for r, s in enumerate(batch):  # right padding: earlier positions see no padding
                    ids[r, :len(s[2])] = torch.tensor(s[2])
                    mask[r, :len(s[2])] = 1
                logp = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits.double(), -1)
                for r, (qi, oi, whole, n) in enumerate(batch):
                    pos = torch.arange(len(whole) - n - 1, len(whole) - 1)
                    lls[qi][oi] = float(logp[r, pos, torch.tensor(whole[-n:])].sum())
        acc = acc_norm = 0
        for (req, gold), ll in zip(items, lls):
            acc += max(range(len(ll)), key=lambda i: ll[i]) == gold
            norm = [v / len(c) for v, c in zip(ll, req["choices"])]
            acc_norm += max(range(len(norm)), key=lambda i: norm[i]) == gold
        n = len(items)
        out["sets"].append({"preset": preset, "file": rel, "questions": n, "acc": acc / n, "acc_norm": acc_norm / n,
                            "log_likelihoods": lls, "gold": [g for _, g in items],
                            "seconds": round(time.time() - t0, 1)})
        print(f"{rel}: {n} questions, acc {acc / n:.4f}, acc_norm {acc_norm / n:.4f} ({time.time() - t0:.0f} s)",
              flush=True)
    path = REAL / ("smollm2-task-parity-full.json" if full else "smollm2-task-parity.json")
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {path}")


def compare(ours_files):
    ref = json.loads((REAL / "smollm2-task-parity-full.json").read_text())
    print("| test set | questions | max abs. log-likelihood diff. | same prediction: acc / acc_norm "
          "| acc: Prunescope / transformers | acc_norm: Prunescope / transformers |")
    print("|---|---|---|---|---|---|")
    for path, r, (_, rel, reader) in zip(ours_files, ref["sets"], PARITY_SETS):
        ours = json.loads(pathlib.Path(path).read_text())
        qs = ours["questions"]
        items = list(reader(SHARED / rel))
        assert len(qs) == r["questions"] == len(items), (path, len(qs), r["questions"])
        worst, same, same_norm = 0.0, 0, 0
        for q, ll, (req, gold) in zip(qs, r["log_likelihoods"], items):
            assert q["gold"] == gold, (path, q["id"])
            worst = max(worst, max(abs(a - b) for a, b in zip(q["log_probs"], ll)))
            same += q["predicted"] == max(range(len(ll)), key=lambda i: ll[i])
            norm = [v / len(c) for v, c in zip(ll, req["choices"])]
            same_norm += q["predicted_norm"] == max(range(len(norm)), key=lambda i: norm[i])
        n = len(qs)
        summary = ours["summary"]
        print(f"| {r['file']} | {n} | {worst:.2g} | {same}/{n} / {same_norm}/{n} | "
              f"{100 * summary['accuracy']:.2f} / {100 * r['acc']:.2f} | "
              f"{100 * summary['accuracy_norm']:.2f} / {100 * r['acc_norm']:.2f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compare", nargs="+", metavar="OURS", help="prunescope-cli eval --out files of the full sets")
    ap.add_argument("--prompts", action="store_true", help="only the expected preset texts of the fixtures")
    ap.add_argument("--gguf", type=pathlib.Path)
    ap.add_argument("--venv", type=pathlib.Path)
    ap.add_argument("--full", action="store_true", help="the whole test sets")
    args = ap.parse_args()
    if args.compare:
        compare(args.compare)
        return
    if args.prompts:
        write_prompts()
        return
    if args.gguf is None:
        ap.error("--gguf is needed for the log-likelihoods")
    if args.venv and pathlib.Path(sys.prefix).resolve() != args.venv.resolve():
        py = args.venv / "bin" / "python"
        sys.exit(subprocess.call([str(py), __file__, "--gguf", str(args.gguf)] + (["--full"] if args.full else [])))
    parity(args.gguf, args.full)


if __name__ == "__main__":
    main()
