#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU (docs/gpu.md). From the repository root:
#
#   scripts/gpu-check.sh
#
# 1. fails at once unless nvidia-smi lists a GPU;
# 2. make build-torch2 (LibTorch 2.x with CUDA from the PyPI torch wheel; the first time this also
#    makes the ~7 GB Python environment, see docs/gpu.md);
# 3. checks that the executable loads the wheel's CUDA libraries and one libcudart only;
# 4. checks that LibTorch sees the GPU (a tiny `bench forward --device cuda`);
# 5. ctest -L gpu in build-torch2/ (the tests labelled gpu; none found is a failure);
# 6. prunescope-cli bench forward and bench attribution on cuda, short settings, float32 and bfloat16;
# then prints a summary table. Steps 3-6 all run even when one fails; the exit status is non-zero
# when any step failed. Every step prints its command and its time. About 1-2 minutes once
# build-torch2/ and the environment exist; the first build takes longer (see docs/gpu.md).
#
# GPU_CHECK_LOG (default build-torch2/gpu-check.log) receives the full output of every step.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_TORCH2:-build-torch2}
cli=$build/app/prunescope-cli
log=${GPU_CHECK_LOG:-$build/gpu-check.log}
summary=()
failed=0
start_all=$SECONDS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() { printf '\n=== %s\n' "$*"; }
# step NAME TIMEOUT_S COMMAND...: runs the command under `timeout`, output to the terminal, the log
# and $out (this step's output alone); records status and seconds for the summary. Returns the
# command's status (124: timed out); never exits the script.
out=""
step() {
    local name=$1 limit=$2
    shift 2
    say "$name: $*"
    echo "=== $name: $*" >>"$log"
    out=$tmp/${#summary[@]}.out
    local t0=$SECONDS rc=0
    timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$out" | tee -a "$log" || rc=${PIPESTATUS[0]}
    local dt=$((SECONDS - t0))
    if ((rc == 0)); then
        echo "--- $name: ok (${dt} s)"
        summary+=("$(printf '%-24s %-6s %5d s' "$name" ok "$dt")")
    else
        ((rc == 124)) && echo "--- $name: TIMED OUT after ${limit} s" || echo "--- $name: FAILED (exit $rc, ${dt} s)"
        summary+=("$(printf '%-24s %-6s %5d s  exit %d' "$name" FAILED "$dt" "$rc")")
        failed=1
    fi
    return "$rc"
}
# field TEXT LABEL: what follows LABEL on the first line of TEXT that starts with it.
field() { grep -m1 "^$2" <<<"$1" | sed "s/^$2 *//" || true; }

# --- 1. a GPU, or stop here
say "GPU"
if ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "gpu-check: nvidia-smi not found: no NVIDIA driver on this machine" >&2
    exit 1
fi
if ! gpus=$(nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader 2>&1) ||
    [[ -z $gpus ]]; then
    echo "gpu-check: nvidia-smi sees no GPU: $gpus" >&2
    exit 1
fi
if [[ -n ${CUDA_VISIBLE_DEVICES+x} && -z ${CUDA_VISIBLE_DEVICES} ]]; then
    echo "gpu-check: CUDA_VISIBLE_DEVICES is set and empty: it hides every GPU; unset it" >&2
    exit 1
fi
echo "$gpus"

# --- 2. build
say "build: make build-torch2 (first time: the Python environment and a full build)"
t0=$SECONDS
make build-torch2
summary+=("$(printf '%-24s %-6s %5d s' "make build-torch2" ok $((SECONDS - t0)))")
mkdir -p "$(dirname "$log")"
: >"$log"

# --- 3. which CUDA libraries the executable loads
say "libraries: ldd $cli"
t0=$SECONDS
libs=$(ldd "$cli" | grep -E 'libtorch|libc10|libcudart|libcublas\.|libcudnn\.so' || true)
echo "$libs" | tee -a "$log"
inits=$(LD_DEBUG=libs "$cli" --version 2>&1 | grep -E 'calling init: .*libcudart\.so' | sort -u || true)
echo "$inits" | tee -a "$log"
if grep -q 'not found' <<<"$libs" || ! grep -q 'libtorch_cuda.so' <<<"$libs" || [[ $(grep -c . <<<"$inits") -ne 1 ]]; then
    echo "--- libraries: FAILED (a library not found, no libtorch_cuda.so, or not exactly one libcudart)"
    summary+=("$(printf '%-24s %-6s %5d s' "libraries" FAILED $((SECONDS - t0)))")
    failed=1
else
    echo "--- libraries: ok"
    summary+=("$(printf '%-24s %-6s %5d s  %s' "libraries" ok $((SECONDS - t0)) "$(basename "$(awk '{print $NF}' <<<"$inits")")")")
fi

# --- 4. LibTorch sees the GPU (fails with "CUDA is not available in this build or on this machine")
cuda_ok=1
step "cuda visible" 120 "$cli" bench forward --device cuda --layers 1 --d-model 64 --vocab 100 --seq 8 \
    --batch 1 --seconds 0.2 || cuda_ok=0

# --- 5. the gpu tests
# -V: each test's own lines too (the summary takes the GPU memory a cancelled fine-tune gives back).
step "ctest -L gpu" 300 env QT_QPA_PLATFORM=offscreen \
    ctest --test-dir "$build" -L gpu -V --no-tests=error --timeout 240 || true
gpumem=$(grep -m1 -o 'GPU (reserved by LibTorch) memory: .*' "$out" || true)

# --- 6. benchmarks on the GPU (GPT-2-small shape)
fwd="" attr=""
if ((cuda_ok)); then
    if step "bench forward cuda" 120 "$cli" bench forward --device cuda --arch gpt2 --layers 12 --d-model 768 \
        --seq 128 --batch 8 --seconds 3 --dtype bfloat16; then
        fwd=$(cat "$out")
    fi
    if step "bench attribution cuda" 240 "$cli" bench attribution --device cuda --questions 4 --seq 128 --steps 20 \
        --naive-questions 2 --dtype bfloat16; then
        attr=$(cat "$out")
    fi
else
    summary+=("$(printf '%-24s %-6s' "bench forward cuda" skipped)" "$(printf '%-24s %-6s' "bench attribution cuda" skipped)")
fi

# --- summary
say "summary ($((SECONDS - start_all)) s in all; full output in $log)"
echo "$gpus"
printf '%-24s %-6s %7s\n' step status time
printf '%s\n' "${summary[@]}"
[[ -n $gpumem ]] && echo "$gpumem"
if [[ -n $fwd ]]; then
    echo
    echo "forward      $(field "$fwd" forward)"
    echo "             $(field "$fwd" achieved) | peak $(field "$fwd" 'matmul peak') | fraction $(field "$fwd" 'fraction of peak')"
    echo "             bfloat16 $(field "$fwd" bfloat16)"
fi
if [[ -n $attr ]]; then
    echo "attribution  fast $(field "$attr" 'fast path')"
    echo "             batched $(field "$attr" 'fast, batched')"
    echo "             speed-up $(field "$attr" 'speed-up')"
    echo "             max diff $(field "$attr" 'max relative diff')"
    echo "             completeness $(field "$attr" completeness)"
    echo "             bfloat16 $(field "$attr" 'bfloat16  batched')"
    echo "             bfloat16 mean over questions: $(field "$attr" 'bfloat16  vs f32  mean over questions:')"
fi
if ((failed)); then
    echo "gpu-check: FAILED (see above and $log)" >&2
    exit 1
fi
echo "gpu-check: all steps passed"
