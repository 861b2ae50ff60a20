#!/usr/bin/env bash
# Fails when a C++ file of the project differs from what clang-format (Debian 12's, major version 14)
# makes of it with the committed .clang-format; `make format` fixes them. Skips (77) without that
# clang-format, since other versions lay out some constructs differently.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=""
for candidate in clang-format-14 clang-format; do
    if command -v "$candidate" > /dev/null && "$candidate" --version | grep -q "version 14\."; then
        tool=$candidate
        break
    fi
done
if [[ -z "$tool" ]]; then
    echo "check_format: clang-format 14 not found; skipped"
    exit 77
fi
mapfile -t files < <(find app core ui tests -name '*.cpp' -o -name '*.h' | sort)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$tool" --dry-run --Werror "${files[@]}" 2> "$log"; then
    grep -E '^[^ :]+:[0-9]+:[0-9]+: (error|warning):' "$log" | cut -d: -f1,2 | sort -u | head -20
    echo "check_format: $(grep -cE '^[^ :]+:[0-9]+:[0-9]+: (error|warning):' "$log") lines differ from .clang-format;" \
        "run 'make format'"
    exit 1
fi
echo "check_format: ${#files[@]} files match .clang-format"
