"""Re-runs the reference scripts that need no model download and compares what they write with
the committed files: a committed reference that its script no longer reproduces is stale, or the
script changed without its output being renewed.

The scripts write into fixed places of the source tree, so they run on a copy of the tree in a
temporary folder (scripts copied, inputs linked) and the committed files are never touched.
JSON numbers and safetensors / GGUF float tensors are compared with a tolerance (other machines
round differently), everything else exactly; timing fields are ignored. Prints the largest
difference per file; exits 1 on any mismatch.

    check_reference_files.sh   # finds the environment; ctest runs it as test_reference_files
"""
import json
import math
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

# script and arguments, the folder (relative to the tree) it writes, and its output files there
JOBS = [
    (["task_parity_reference.py", "--prompts"], "tests/data/mcq", "task-presets-expected.json"),
    (["forward_reference.py", "tests/data/models"], "tests/data/models", "*/expected.json"),
    (["make_gguf_fixtures.py"], "tests/data/gguf", "*.gguf"),
    (["make_gguf_models.py"], "tests/data/gguf/models", "*"),
]
TIMING_KEYS = {"seconds", "elapsed", "time"}
JSON_TOLERANCE = 1e-9   # float64 logits / log-likelihoods computed in Python
TENSOR_TOLERANCE = 1e-5  # float32 logits from transformers: BLAS kernels differ between CPUs


def copy_tree(root, tmp):
    """tmp/main: the reference scripts and the inputs the jobs read; tmp/shared: the shared data."""
    main = tmp / "main"
    (main / "tests" / "reference").mkdir(parents=True)
    for script in (root / "tests" / "reference").glob("*.py"):
        shutil.copy2(script, main / "tests" / "reference")
    shared = root.parent / "shared"
    if shared.exists():
        (tmp / "shared").symlink_to(shared)
    # Inputs: the fixtures of tests/data/mcq and the tiny models' weights (not their outputs).
    mcq = main / "tests" / "data" / "mcq"
    mcq.mkdir(parents=True)
    for entry in (root / "tests" / "data" / "mcq").iterdir():
        if entry.name != "task-presets-expected.json":
            (mcq / entry.name).symlink_to(entry)
    for model in (root / "tests" / "data" / "models").iterdir():
        (main / "tests" / "data" / "models" / model.name).mkdir(parents=True)
        for name in ("config.json", "model.safetensors"):
            shutil.copy2(model / name, main / "tests" / "data" / "models" / model.name / name)
    (main / "tests" / "data" / "gguf").mkdir()
    return main


def outputs(folder, pattern):
    """The files matching pattern in folder (linked inputs excluded), by relative path."""
    return {p.relative_to(folder): p for p in sorted(folder.glob(pattern)) if p.is_file() and not p.is_symlink()}


def compare_json(a, b, where="", worst=None):
    """Differences between two JSON values as messages; worst[0] collects the largest number gap."""
    worst = worst if worst is not None else [0.0]
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        keys = (set(a) | set(b)) - TIMING_KEYS
        for k in sorted(keys):
            if k not in a or k not in b:
                out.append(f"{where}/{k}: only in {'the committed file' if k in b else 'the new output'}")
            else:
                out += compare_json(a[k], b[k], f"{where}/{k}", worst)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items, committed {len(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += compare_json(x, y, f"{where}[{i}]", worst)
        return out
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        gap = abs(a - b)
        worst[0] = max(worst[0], gap)
        if not gap <= JSON_TOLERANCE * max(1.0, abs(b)) and not (math.isnan(a) and math.isnan(b)):
            return [f"{where}: {a!r}, committed {b!r}"]
        return []
    return [] if a == b else [f"{where}: {a!r}, committed {b!r}"]


def compare_arrays(name, a, b, worst):
    if a.dtype != b.dtype or a.shape != b.shape:
        return [f"{name}: {a.dtype} {a.shape}, committed {b.dtype} {b.shape}"]
    if np.issubdtype(a.dtype, np.floating):
        x, y = a.astype(np.float64), b.astype(np.float64)
        gap = float(np.max(np.abs(x - y))) if x.size else 0.0
        worst[0] = max(worst[0], gap)
        ok = np.allclose(x, y, rtol=TENSOR_TOLERANCE, atol=TENSOR_TOLERANCE, equal_nan=True)
        return [] if ok else [f"{name}: max |difference| {gap:.3g}"]
    return [] if np.array_equal(a, b) else [f"{name}: values differ"]


def compare_safetensors(new, old, worst):
    from safetensors.numpy import load_file

    a, b = load_file(str(new)), load_file(str(old))
    if set(a) != set(b):
        return [f"tensors {sorted(set(a) ^ set(b))} in only one file"]
    out = []
    for key in sorted(a):
        out += compare_arrays(key, a[key], b[key], worst)
    return out


def compare_gguf(new, old, worst):
    """Metadata exactly; float tensors with the tolerance, quantized blocks exactly."""
    import gguf

    a, b = gguf.GGUFReader(str(new)), gguf.GGUFReader(str(old))
    out = []
    fa = {f.name: [np.asarray(p).tobytes() for p in f.parts] for f in a.fields.values()}
    fb = {f.name: [np.asarray(p).tobytes() for p in f.parts] for f in b.fields.values()}
    for key in sorted(set(fa) | set(fb)):
        if fa.get(key) != fb.get(key):
            out.append(f"metadata {key} differs")
    ta = {t.name: t for t in a.tensors}
    tb = {t.name: t for t in b.tensors}
    if set(ta) != set(tb):
        return out + [f"tensors {sorted(set(ta) ^ set(tb))} in only one file"]
    for name in sorted(ta):
        x, y = ta[name], tb[name]
        if x.tensor_type != y.tensor_type:
            out.append(f"{name}: type {x.tensor_type.name}, committed {y.tensor_type.name}")
        elif x.tensor_type in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
            out += compare_arrays(name, np.asarray(x.data), np.asarray(y.data), worst)
        elif np.asarray(x.data).tobytes() != np.asarray(y.data).tobytes():
            out.append(f"{name}: {x.tensor_type.name} blocks differ")
    return out


def read_json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def compare(new, old):
    worst = [0.0]
    if new.read_bytes() == old.read_bytes():
        return [], "identical"
    if new.suffix == ".json":
        problems = compare_json(read_json(new), read_json(old), worst=worst)
    elif new.suffix == ".safetensors":
        problems = compare_safetensors(new, old, worst)
    elif new.suffix == ".gguf":
        problems = compare_gguf(new, old, worst)
    else:
        problems = ["bytes differ"]
    return problems, f"max |difference| {worst[0]:.3g}"


def main(root):
    failures = 0
    with tempfile.TemporaryDirectory(prefix="prunescope-reference-") as tmp:
        main_dir = copy_tree(root, pathlib.Path(tmp))
        for args, folder, pattern in JOBS:
            start = time.time()
            run = subprocess.run([sys.executable, str(main_dir / "tests" / "reference" / args[0])] + args[1:],
                                 cwd=main_dir, capture_output=True, text=True)
            print(f"{' '.join(args)}: exit {run.returncode} in {time.time() - start:.0f} s")
            if run.returncode != 0:
                print(run.stdout[-3000:] + run.stderr[-3000:])
                failures += 1
                continue
            new = outputs(main_dir / folder, pattern)
            committed = outputs(root / folder, pattern)
            for rel in sorted(set(committed) - set(new)):
                print(f"  FAIL {folder}/{rel}: committed, but the script no longer writes it")
                failures += 1
            for rel, path in new.items():
                if rel not in committed:
                    print(f"  FAIL {folder}/{rel}: written by the script, not committed")
                    failures += 1
                    continue
                problems, summary = compare(path, committed[rel])
                print(f"  {'FAIL' if problems else 'ok  '} {folder}/{rel}: {summary}")
                for p in problems[:10]:
                    print(f"       {p}")
                failures += bool(problems)
    print("ALL REPRODUCED" if failures == 0 else f"{failures} FAILURE(S)")
    return 1 if failures else 0


if __name__ == "__main__":
    here = pathlib.Path(__file__).resolve()
    sys.exit(main(pathlib.Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else here.parents[2]))
