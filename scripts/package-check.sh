#!/usr/bin/env bash
# Builds the Debian package in BUILD (default build/) and checks it as Debian's tools do: lintian
# (fails on errors; warnings are printed), desktop-file-validate on its desktop entry, appstreamcli
# validate on its AppStream metadata, whose launchable must be the desktop entry in the package.
# `make package-check` runs it after the build; docs/packaging.md.
set -euo pipefail
build=${1:-build}
for tool in cpack lintian desktop-file-validate appstreamcli dpkg-deb; do
    if ! command -v "$tool" > /dev/null; then
        echo "package-check: $tool not found (scripts/install-deps.sh installs it)"
        exit 1
    fi
done
rm -f "$build"/prunescope_*.deb
(cd "$build" && cpack -G DEB)
debs=("$build"/prunescope_*.deb)
deb=${debs[0]}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"

status=0
echo "package-check: lintian $deb"
lintian --fail-on error "$deb" || status=1
desktop=("$tmp"/usr/share/applications/*.desktop)
metainfo=("$tmp"/usr/share/metainfo/*.metainfo.xml)
echo "package-check: desktop-file-validate ${desktop[*]#"$tmp"}"
desktop-file-validate "${desktop[@]}" || status=1
for file in "${metainfo[@]}"; do
    echo "package-check: appstreamcli validate ${file#"$tmp"}"
    appstreamcli validate --no-net "$file" || status=1
    launchable=$(sed -n 's:.*<launchable type="desktop-id">\(.*\)</launchable>.*:\1:p' "$file")
    if [[ ! -f $tmp/usr/share/applications/$launchable ]]; then
        echo "package-check: ${file#"$tmp"}: its launchable '$launchable' is not in usr/share/applications"
        status=1
    fi
done
if ((status != 0)); then
    echo "package-check: $deb has errors (above)"
    exit 1
fi
echo "package-check: $deb passes lintian (no errors), desktop-file-validate and appstreamcli validate"
