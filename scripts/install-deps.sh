#!/usr/bin/env bash
# Installs the Debian packages Prunescope needs to build, test and run; installs only what is missing.
# Uses sudo only when not root. Safe to run repeatedly.
set -euo pipefail

packages=(
    build-essential cmake ninja-build ccache pkg-config
    libtorch-dev libopenblas0-pthread
    qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl1-mesa-dev
    libspdlog-dev nlohmann-json3-dev libpcre2-dev
    python3 python3-numpy python3-pip python3-venv unzip
    xvfb xauth clang-format
    lintian desktop-file-utils appstream
)
# python3-torch is needed only to regenerate the committed reference logits (tests/reference/).
if [[ "${PRUNESCOPE_WITH_REFERENCE:-0}" == 1 ]]; then packages+=(python3-torch); fi
# clang and its sanitizer and libFuzzer runtimes: only for `make test-sanitize` and `make fuzz`.
if [[ "${PRUNESCOPE_WITH_CLANG:-0}" == 1 ]]; then packages+=(clang libclang-rt-14-dev); fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
