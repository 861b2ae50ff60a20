#!/usr/bin/env bash
# ctest test_reference_files: re-runs the reference scripts that need no download (about a minute)
# in the reference virtual environment and compares what they write with the committed files
# (check_reference_files.py). Exits 77 (ctest: skipped) when the environment is not there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# scripts/python-env.sh builds a missing or outdated environment from the network, which a test
# must not do: ask it for the folder only when its stamp says the environment is up to date.
cache=${PRUNESCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prunescope}
stamp="$cache/venv-reference/.requirements.sha256"
want=$(sha256sum "$root/scripts/requirements-reference.txt" | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" || ! -x $cache/venv-reference/bin/python ]]; then
    echo "SKIPPED: no up-to-date reference environment at $cache/venv-reference" \
        "(make it with scripts/python-env.sh reference)"
    exit 77
fi
env=$("$root/scripts/python-env.sh" reference)
exec "$env/bin/python" "$here/check_reference_files.py" "$root"
