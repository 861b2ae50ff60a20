#!/usr/bin/env bash
# Integrated Gradients over FFN neurons: Prunescope against the user's alternative (PyTorch eager,
# benchmarks/ig_pytorch.py), same shape, same thread count, measured in one run, CPU.
#
#   benchmarks/compare-attribution.sh [PRUNESCOPE_CLI] [--threads 2] [--questions 8] [--py-questions 4]
#                                     [--layers 12] [--d-model 768] [--seq 128] [--steps 20]
#                                     [--naive-questions 1]
#
# PRUNESCOPE_CLI: default build/app/prunescope-cli. Prunescope runs `bench attribution` (its fast path
# one question at a time, the same questions batched --questions per pass, as attribution runs do with
# 8, and its naive path on --naive-questions questions); PyTorch runs both variants of ig_pytorch.py
# one question at a time on --py-questions questions. Threads: OMP_NUM_THREADS for prunescope-cli (it
# has no --threads; on the Debian build OpenBLAS reads it and LibTorch keeps 1, docs/benchmarks.md),
# torch.set_num_threads for Python. Python: the environment printed by
# `scripts/python-env.sh reference` (made on first use), or $PYTHON.
#
# Duration: the full GPT-2-small shape (12 layers, d 768, T 128, m 20, 2 threads) is estimated at about
# 1-2 minutes on 2 idle cores (~25 s Prunescope, ~40-60 s PyTorch, mostly the recompute variant);
# an estimate from the numbers in docs/benchmarks.md, not yet from a full run of this script. The
# recompute variant holds an estimated ~3 GB of activations for its backward. A small shape
# (--layers 2 --d-model 128 --seq 32) takes ~15 s. Run it on a quiet machine: with more runnable work
# than cores, every multi-threaded op can stall at an OpenMP barrier, and small ops (the kv-cache
# paths) suffer most.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

cli=$root/build/app/prunescope-cli
if [[ $# -gt 0 && $1 != --* ]]; then cli=$1; shift; fi
threads=2 questions=8 py_questions=4 layers=12 d_model=768 seq=128 steps=20 naive_questions=1
while [[ $# -gt 0 ]]; do
    [[ $# -ge 2 ]] || { echo "compare-attribution: $1 needs a value" >&2; exit 2; }
    case $1 in
        --threads) threads=$2 ;;
        --questions) questions=$2 ;;
        --py-questions) py_questions=$2 ;;
        --layers) layers=$2 ;;
        --d-model) d_model=$2 ;;
        --seq) seq=$2 ;;
        --steps) steps=$2 ;;
        --naive-questions) naive_questions=$2 ;;
        *) echo "compare-attribution: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    esac
    shift 2
done
if [[ ! -x $cli ]]; then
    echo "compare-attribution: no prunescope-cli at $cli (give its path as the first argument)" >&2
    exit 2
fi
python=${PYTHON:-$("$root/scripts/python-env.sh" reference)/bin/python}

load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    echo "compare-attribution: load average $load; the timings are only meaningful on a quiet machine" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shape=(--layers "$layers" --d-model "$d_model" --seq "$seq" --steps "$steps")

echo "[1/2] prunescope-cli bench attribution (${questions} questions) ..." >&2
OMP_NUM_THREADS=$threads "$cli" bench attribution "${shape[@]}" --device cpu --questions "$questions" \
    --naive-questions "$naive_questions" >"$tmp/prunescope.txt" 2>"$tmp/prunescope.err" ||
    { cat "$tmp/prunescope.err" "$tmp/prunescope.txt" >&2; exit 1; }
echo "[2/2] benchmarks/ig_pytorch.py (${py_questions} questions per variant) ..." >&2
status=0
OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads "$python" "$root/benchmarks/ig_pytorch.py" "${shape[@]}" \
    --threads "$threads" --questions "$py_questions" --json >"$tmp/pytorch.json" || status=$?
[[ -s $tmp/pytorch.json ]] || exit 1

"$python" - "$tmp/prunescope.txt" "$tmp/prunescope.err" "$tmp/pytorch.json" <<'EOF'
import json, re, sys
text, err = open(sys.argv[1]).read(), open(sys.argv[2]).read()
py = json.load(open(sys.argv[3]))

def number(pattern, source=text):
    m = re.search(pattern, source)
    if not m:
        sys.exit(f"compare-attribution: no '{pattern}' in prunescope-cli's output:\n{text}")
    return float(m.group(1))

batched = number(r"fast, batched\s+([0-9.]+) s per question")
per_pass = int(number(r"fast, batched.*\((\d+) questions per pass"))
one = number(r"fast path\s+([0-9.]+) s per question")
naive = number(r"naive path\s+([0-9.]+) s per question")
ps_questions = int(number(r"questions\s+(\d+) of"))
# The cores it computes on: LibTorch's threads, or OpenBLAS's where it has its own (the Debian build).
ps_threads = int(number(r"(\d+) thread\(s\)"))
blas = re.search(r"matrix products on OpenBLAS's (\d+)", text)
if blas:
    ps_threads = max(ps_threads, int(blas.group(1)))
ps_peak = number(r"matmul peak\s+([0-9.]+) GFLOP/s")
ps_error = number(r"completeness\s+mean relative error ([0-9.e+-]+) \(fast\)")
libtorch = re.search(r"LibTorch ([0-9.]+)", err)
kv, rc = py["kv_cache_s_per_question"], py["recompute_s_per_question"]

print(f"Integrated Gradients, gpt2 shape: {py['layers']} layers, d {py['d_model']}, FFN {py['ffn']}, "
      f"vocab {py['vocab']}; T {py['seq']}, m {py['steps']} Gauss-Legendre points, joint scope; CPU, "
      f"{py['threads']} thread(s)")
if ps_threads != py["threads"]:
    print(f"WARNING: prunescope-cli ran {ps_threads} thread(s), PyTorch {py['threads']}")
rows = [
    (f"Prunescope, batched ({per_pass} questions per pass)", batched),
    ("Prunescope, one question at a time", one),
    ("PyTorch kv-cache, one question at a time", kv),
    (f"PyTorch recompute (Captum-style, {py['internal_batch_size']} rows per pass)", rc),
]
print(f"\n{'':58s}{'s/question':>11s}{'/ Prunescope batched':>22s}{'/ Prunescope one':>18s}")
for name, s in rows:
    print(f"{name:58s}{s:11.4f}{s / batched:21.1f}x{s / one:17.1f}x")
print(f"\nratios   PyTorch kv-cache / Prunescope batched = {kv / batched:.1f}x; "
      f"PyTorch recompute / Prunescope batched = {rc / batched:.1f}x")
print(f"         (PyTorch kv-cache / Prunescope one at a time = {kv / one:.1f}x; "
      f"Prunescope's own naive path: {naive:.4f} s/question)")
print(f"BLAS     matmul peak (1024^2 float32, same run): Prunescope "
      f"(LibTorch {libtorch.group(1) if libtorch else '?'}) {ps_peak:.1f} GFLOP/s, "
      f"PyTorch {py['torch']} {py['matmul_peak_gflops']:.1f} GFLOP/s")
print(f"accuracy PyTorch kv-cache vs recompute IG: {py['max_rel_diff']:.1e} relative; completeness error "
      f"{py['completeness_error_kv_cache']:.1e} / {py['completeness_error_recompute']:.1e} "
      f"(Prunescope fast path {ps_error:.1e})")
print(f"questions Prunescope {ps_questions}, PyTorch {py['questions']} per variant "
      f"(random prompts, different seeds on each side)")
EOF
exit "$status"
