#!/usr/bin/env bash
# Makes (once) the Python virtual environment that Prunescope's reference scripts and the LibTorch 2.x
# build use, from the pinned versions in scripts/requirements-*.txt, in the cache folder. Prints the
# environment's folder. The product itself never runs Python.
#
#   scripts/python-env.sh reference   # torch, transformers, gguf, tokenizers, numpy (reference numbers)
#
# PRUNESCOPE_CACHE overrides the cache folder (default: ~/.cache/prunescope).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-reference}
req="$here/requirements-$what.txt"
[[ -f $req ]] || { echo "python-env: no $req" >&2; exit 2; }
cache=${PRUNESCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prunescope}
env="$cache/venv-$what"
stamp="$env/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then echo "$env"; exit 0; fi

python=${PYTHON:-python3}
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    echo "python-env: $python lacks venv/ensurepip; installing python3-venv" >&2
    sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends python3-venv python3-pip >&2
    python=/usr/bin/python3
fi
mkdir -p "$cache/pip"
# A new environment is built beside its final place and renamed (a venv records its own path in
# its scripts; `python -m pip` keeps working after the rename). An existing one is brought up to
# the pinned versions in place: pip installs only what differs.
if [[ ! -x $env/bin/python ]]; then
    rm -rf "$env.partial"
    "$python" -m venv "$env.partial" >&2
    PIP_CACHE_DIR="$cache/pip" "$env.partial/bin/python" -m pip install -q --upgrade pip >&2
    PIP_CACHE_DIR="$cache/pip" "$env.partial/bin/python" -m pip install -q -r "$req" >&2
    mv "$env.partial" "$env"
else
    rm -f "$stamp"
    PIP_CACHE_DIR="$cache/pip" "$env/bin/python" -m pip install -q -r "$req" >&2
fi
echo "$want" > "$stamp"
echo "$env"
