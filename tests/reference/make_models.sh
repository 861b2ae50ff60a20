#!/usr/bin/env bash
# Rebuilds the tiny test models under tests/data/models with prunescope-cli init-model and computes
# their reference logits with the independent Python implementation (forward_reference.py).
# Needs a build (make build) and Debian's python3-torch (PRUNESCOPE_WITH_REFERENCE=1 make deps).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cli=${CLI:-$root/build/app/prunescope-cli}
out=$root/tests/data/models
mkdir -p "$out"
for cfg in "$here"/configs/*.json; do
    name=$(basename "$cfg" .json)
    tmp=$(mktemp -d)
    cp "$cfg" "$tmp/config.json"
    "$cli" init-model --config "$tmp/config.json" --out "$out/$name" --seed 7 --std 0.3 >/dev/null
    rm -rf "$tmp"
done
# The same GPT-2 weights stored as bfloat16 (the reference reads the rounded values).
tmp=$(mktemp -d)
cp "$here/configs/gpt2.json" "$tmp/config.json"
"$cli" init-model --config "$tmp/config.json" --out "$out/gpt2-bf16" --seed 7 --std 0.3 --dtype bfloat16 >/dev/null
rm -rf "$tmp"
# Debian's interpreter: it is the one python3-torch installs into.
/usr/bin/python3 "$here/forward_reference.py" "$out"
