#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets of tests/fuzz in build-asan (clang, ASan + UBSan), runs
# each for FUZZ_SECONDS seconds on a seed corpus assembled here from tests/data and ../shared/data,
# and prints executions, coverage, corpus size and findings per target (docs/fuzzing.md).
# Each target's corpus, findings and run log stay in <build>/fuzz/<target>/, so runs add up.
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_TARGETS  the targets to run, separated by spaces (default: all)
#   FUZZ_JOBS     targets run at the same time (default 1)
#   BUILD_ASAN    the build folder (default build-asan)
# Exit status: 1 when a target found something (a crash-, leak-, timeout- or oom- file in its
# findings folder) or stopped with an error; 0 otherwise, also when clang's libFuzzer is missing.
# shellcheck disable=SC2317  # the seeds_<target> functions are called by name
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
root=$PWD
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
build=${BUILD_ASAN:-build-asan}
shared=$root/../shared/data
all_targets=(fuzz_safetensors fuzz_gguf fuzz_config_json fuzz_tokenizer_json fuzz_mcq fuzz_mask fuzz_experiment
    fuzz_session)
read -r -a targets <<< "${FUZZ_TARGETS:-${all_targets[*]}}"

# --- clang with libFuzzer, or a clean skip
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
if ! command -v clang++ > /dev/null ||
    ! printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' |
    clang++ -x c++ -fsanitize=fuzzer,address,undefined - -o "$probe/probe" > /dev/null 2>&1; then
    echo "fuzz: skipped: clang++ with libFuzzer is not installed (Debian: clang libclang-rt-14-dev)"
    exit 0
fi

# --- configure once (as make test-sanitize does), build the targets
if [[ ! -f $build/build.ninja ]]; then
    CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DPRUNESCOPE_SANITIZE=address -DPRUNESCOPE_FUZZ=ON -DPRUNESCOPE_BUILD_GUI=OFF > "$build.configure.log" 2>&1 ||
        { cat "$build.configure.log"; exit 1; }
    rm -f "$build.configure.log"
fi
if ! grep -q '^PRUNESCOPE_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "fuzz: $build is configured without -DPRUNESCOPE_FUZZ=ON; remove it or set BUILD_ASAN" >&2
    exit 1
fi
flock "$build.lock" cmake --build "$build" --target "${targets[@]}" -j "${JOBS:-$(nproc)}"

# Every sanitizer report stops the run at the input that caused it (nothing is suppressed, as in
# make test-sanitize); an allocation beyond -malloc_limit_mb is a finding, not a null pointer.
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# --- seed corpora: real files, small ones whole, large ones cut (the headers come first)

# seed FILE OUT_DIR [LIMIT_BYTES]: copies FILE (its first LIMIT_BYTES, default 1 MiB) into OUT_DIR,
# named after its path; a missing FILE is skipped quietly (../shared may be absent).
seed() {
    local file=$1 out=$2 limit=${3:-1048576}
    [[ -f $file ]] || return 0
    local name=${file#"$root"/}
    name=${name//\//_}
    head -c "$limit" "$file" > "$out/${name//../_}"
}

# A dataset seed for fuzz_mcq: "<format> <file name>" and the first lines of FILE, then (after a NUL
# byte) the first lines of its labels file when there is one.
mcq_seed() {
    local file=$1 format=$2 out=$3
    [[ -f $file ]] || return 0
    local name=${file#"$root"/} labels="${file%.*}-labels.lst"
    name=${name//\//_}
    {
        printf '%s %s\n' "$format" "$(basename "$file")"
        if (($(stat -c %s "$file") <= 65536)); then cat "$file"; else head -n 20 "$file"; fi
        if [[ -f $labels ]]; then
            printf '\0'
            head -n 20 "$labels"
        fi
    } > "$out/$format-${name//../_}"
}

# tokenizer.json with its vocabulary cut to the first N ids and the merges among them (a 7 MB
# Qwen tokenizer parses too slowly to fuzz); skipped without python3.
small_tokenizer() {
    local file=$1 out=$2 config=${3:-}
    [[ -f $file ]] && command -v python3 > /dev/null || return 0
    python3 - "$file" "$out" 2000 << 'EOF'
import json, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
tok = json.load(open(src, encoding="utf-8"))
model = tok.get("model", {})
vocab = model.get("vocab")
if isinstance(vocab, dict):
    keep = {k: i for k, i in vocab.items() if i < n}
    model["vocab"] = keep
    merges = []
    for m in model.get("merges") or []:
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        if a in keep and b in keep and a + b in keep:
            merges.append(m)
    model["merges"] = merges
elif isinstance(vocab, list):
    model["vocab"] = vocab[:n]
json.dump(tok, open(dst, "w", encoding="utf-8"), ensure_ascii=False, separators=(",", ":"))
EOF
    # With tokenizer_config.json after a NUL byte: read through the file-level entry.
    if [[ -n $config && -f $config ]]; then
        { cat "$out"; printf '\0'; cat "$config"; } > "$out.with-config"
    fi
}

seeds_fuzz_safetensors() {
    local f
    for f in tests/data/models/*/model.safetensors tests/data/gguf/models/*.safetensors tests/data/real/*.safetensors; do
        seed "$root/$f" "$1" 262144
    done
}

# A GGUF file over 512 KiB as its metadata alone: no tensors, every tokenizer.ggml.* array cut to
# its first 512 entries (the 32,000-token Llama vocabulary and the 1.2 MB stories260K model fuzz
# about 30 times slower whole); skipped without python3.
small_gguf() {
    local file=$1 out=$2
    [[ -f $file ]] && command -v python3 > /dev/null || return 0
    python3 - "$file" "$out" 512 << 'EOF'
import struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(src, "rb").read()
pos = 4
scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "B", 10: "Q", 11: "q", 12: "d"}
def read(fmt):
    global pos
    v = struct.unpack_from("<" + fmt, b, pos)[0]
    pos += struct.calcsize("<" + fmt)
    return v
def value(t):  # the raw bytes of one value of type t
    global pos
    start = pos
    if t in scalar:
        read(scalar[t])
    elif t == 8:
        length = read("Q")
        pos += length
    elif t == 9:
        item, count = read("I"), read("Q")
        for _ in range(count):
            value(item)
    return b[start:pos]
version, _, kv_count = read("I"), read("Q"), read("Q")
kvs = []
for _ in range(kv_count):
    length = read("Q")
    key = b[pos:pos + length]
    pos += length
    t = read("I")
    if t == 9:
        item, count = read("I"), read("Q")
        items = [value(item) for _ in range(count)]
        if key.startswith(b"tokenizer.ggml."):
            items = items[:n]
        raw = struct.pack("<IQ", item, len(items)) + b"".join(items)
    else:
        raw = value(t)
    kvs.append(struct.pack("<Q", len(key)) + key + struct.pack("<I", t) + raw)
out = b"GGUF" + struct.pack("<IQQ", version, 0, len(kvs)) + b"".join(kvs)
open(dst, "wb").write(out + b"\0" * (-len(out) % 32))
EOF
}

seeds_fuzz_gguf() {
    local f
    for f in "$root"/tests/data/gguf/*.gguf "$root"/tests/data/gguf/models/*.gguf "$shared"/models/*/*.gguf; do
        [[ -f $f ]] || continue
        if (($(stat -c %s "$f") <= 524288)); then
            seed "$f" "$1"
        else
            small_gguf "$f" "$1/$(basename "$f" .gguf)-metadata.gguf"
        fi
    done
}

seeds_fuzz_config_json() {
    local f
    for f in "$root"/tests/data/models/*/config.json "$shared"/configs/*/config.json; do seed "$f" "$1"; done
}

seeds_fuzz_tokenizer_json() {
    seed "$root/tests/data/real/stories260K-tokenizer.json" "$1"
    local d
    for d in "$shared"/tokenizers/*/; do
        small_tokenizer "$d/tokenizer.json" "$1/$(basename "$d").json" "$d/tokenizer_config.json"
    done
}

seeds_fuzz_mcq() {
    local f format
    local formats=(arc arc-hf openbookqa openbookqa-jsonl commonsenseqa commonsenseqa-hf sciq mmlu jsonl csv piqa
        siqa hellaswag winogrande truthfulqa-mc1 qasc)
    # Every fixture as sniffed, and read by every reader (the right one and all the wrong ones).
    while IFS= read -r f; do
        mcq_seed "$f" auto "$1"
        for format in "${formats[@]}"; do mcq_seed "$f" "$format" "$1"; done
    done < <(find "$root/tests/data/mcq" -type f \( -name '*.jsonl' -o -name '*.json' -o -name '*.csv' -o -name '*.tsv' \) \
        ! -name 'task-presets-expected.json' | sort)
    for f in "$shared"/mcq/*/*.jsonl "$shared"/mcq/*/*.tsv; do mcq_seed "$f" auto "$1"; done
}

seeds_fuzz_mask() {
    seed "$root/tests/data/real/smollm2-mask.json" "$1"
}

seeds_fuzz_experiment() {
    local f
    for f in "$root"/docs/examples/*.json; do seed "$f" "$1"; done
}

seeds_fuzz_session() {
    :  # no session fixture in tests/data: the hand-written seeds only
}

# --- runs

max_len() {
    case $1 in
        fuzz_gguf | fuzz_safetensors | fuzz_tokenizer_json) echo 524288 ;;
        *) echo 65536 ;;
    esac
}

scratch_root=/dev/shm
[[ -d $scratch_root && -w $scratch_root ]] || scratch_root=${TMPDIR:-/tmp}

# run_target NAME: one run; writes <work>/result (a table row) and appends to <work>/runs.tsv.
run_target() {
    local t=$1
    local work=$root/$build/fuzz/$t bin=$root/$build/tests/fuzz/$t
    mkdir -p "$work/corpus" "$work/findings"
    rm -rf "$work/seeds"
    mkdir -p "$work/seeds"
    "seeds_$t" "$work/seeds"
    if [[ -d tests/fuzz/seeds/$t ]]; then cp tests/fuzz/seeds/"$t"/* "$work/seeds/"; fi
    local dict=()
    [[ -f tests/fuzz/dicts/$t.dict ]] && dict=(-dict="$root/tests/fuzz/dicts/$t.dict")
    local before scratch rc=0 start=$SECONDS
    before=$(ls "$work/findings")
    scratch=$(mktemp -d "$scratch_root/prunescope-fuzz-$t.XXXXXX")
    PRUNESCOPE_FUZZ_TMP=$scratch nice -n 10 "$bin" -max_total_time="$seconds" -print_final_stats=1 \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=30 -max_len="$(max_len "$t")" \
        -artifact_prefix="$work/findings/" "${dict[@]}" "$work/corpus" "$work/seeds" > "$work/last.log" 2>&1 || rc=$?
    rm -rf "$scratch"
    local took=$((SECONDS - start))
    local execs cov ft corpus found
    # libFuzzer's final stats and its last status line ("#N DONE cov: C ft: F corp: ...").
    execs=$(awk '/^stat::number_of_executed_units:/ {v = $2} END {print v + 0}' "$work/last.log")
    cov=$(awk 'match($0, /cov: [0-9]+/) {v = substr($0, RSTART + 5, RLENGTH - 5)} END {print v == "" ? "-" : v}' \
        "$work/last.log")
    ft=$(awk 'match($0, /ft: [0-9]+/) {v = substr($0, RSTART + 4, RLENGTH - 4)} END {print v == "" ? "-" : v}' \
        "$work/last.log")
    corpus=$(find "$work/corpus" -type f | wc -l)
    found=$(comm -13 <(echo "$before") <(ls "$work/findings") | grep -E '^(crash|leak|timeout|oom)-' || true)
    local nfound=0
    [[ -n $found ]] && nfound=$(wc -l <<< "$found")
    if ((rc != 0 && nfound == 0)); then found="exit status $rc, see $work/last.log" && nfound=1; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$took" "${execs:-0}" "${cov:--}" "${ft:--}" \
        "$corpus" "$nfound" >> "$work/runs.tsv"
    local total_s total_x
    total_s=$(awk -F'\t' '{s += $2} END {print s}' "$work/runs.tsv")
    total_x=$(awk -F'\t' '{s += $3} END {print s}' "$work/runs.tsv")
    printf '%-20s %6s %10s %6s %7s %7s %8s %11s %8s\n' "$t" "$took" "${execs:-0}" "${cov:--}" "${ft:--}" "$corpus" \
        "$nfound" "$total_x" "$total_s" > "$work/result"
    if ((nfound > 0)); then
        while IFS= read -r f; do echo "  $t: $f" >> "$work/result"; done <<< "$found"
    fi
}

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time (corpora in $build/fuzz/)"
running=0
for t in "${targets[@]}"; do
    if ((running >= jobs)); then
        wait -n || true
        running=$((running - 1))
    fi
    run_target "$t" &
    running=$((running + 1))
done
wait || true

printf '\n%-20s %6s %10s %6s %7s %7s %8s %11s %8s\n' target seconds execs cov ft corpus findings "total execs" \
    "total s"
status=0
for t in "${targets[@]}"; do
    cat "$build/fuzz/$t/result"
    if [[ $(head -1 "$build/fuzz/$t/result" | awk '{print $7}') != 0 ]]; then status=1; fi
done
if ((status != 0)); then
    echo "fuzz: findings above (inputs in $build/fuzz/<target>/findings/); fix them and add each input to"
    echo "      tests/fuzz/regressions/<target>/ (docs/fuzzing.md)"
fi
exit $status
