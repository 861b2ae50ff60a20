#!/usr/bin/env bash
# Installs the Debian package on a clean Debian root and checks that it works and leaves nothing
# behind (`make test-install`, docs/packaging.md):
#   1. a minimal root of the host's Debian release (debootstrap --variant=minbase; its tarball is
#      cached in ~/.cache/prunescope/ and every run unpacks a pristine copy), upgraded;
#   2. a control run: the package's dependencies and the test tools installed and purged alone
#      (its file lists are cached too, until the script or a package version changes);
#   3. apt-get install ./prunescope_*.deb, the dependencies from Debian's archive;
#   4. prunescope-cli --version, prunescope --version, prunescope-cli demo --quick --seeds 1;
#   5. the desktop application under Xvfb on the demo's session: one screenshot, copied out;
#   6. apt-get purge prunescope: none of its files is left;
#   7. the test tools and dependencies purged (autoremove --purge): the root has the same files and
#      packages as after the control run (apt and dpkg state, logs, /tmp and /root aside).
# Usage: scripts/test-install.sh [BUILD | PACKAGE.deb]   (default: build; a folder is packaged
# with cpack -G DEB first, as package-check.sh does). Writes BUILD/test-install.log and
# BUILD/test-install-screenshot.png. Needs root and the network to a Debian mirror; where it cannot
# run it prints "test-install: skipped: REASON" and exits 77. Environment: MIRROR (default: the
# host's apt sources, else deb.debian.org), DEMO_TIMEOUT (seconds, default 1800).
# shellcheck disable=SC2016,SC1091  # dpkg-query's ${Field} formats are dpkg's; os-release is the host's
set -euo pipefail
SECONDS=0
export LC_ALL=C  # one collation for sort and comm

skip() {
    echo "test-install: skipped: $*"
    exit 77
}
say() { echo "test-install: $*" | tee -a "$log"; }

arg=${1:-build}
if [[ $arg == *.deb ]]; then
    [[ -f $arg ]] || { echo "test-install: $arg not found"; exit 1; }
    deb=$arg
    out=$(dirname "$arg")
else
    [[ -d $arg ]] || { echo "test-install: $arg is not a build folder (make build, or pass a .deb)"; exit 1; }
    deb=""
    out=$arg
fi
out=$(cd "$out" && pwd)
log=$out/test-install.log
screenshot=$out/test-install-screenshot.png

[[ $(id -u) -eq 0 ]] || skip "needs root (debootstrap, chroot, mount); run it as root, e.g. sudo make test-install"
[[ -r /etc/os-release ]] || skip "no /etc/os-release: not Debian"
os_id=$(. /etc/os-release && echo "${ID:-}")
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[[ $os_id == debian && -n $suite ]] || skip "not Debian (ID=$os_id): the package is built against Debian's libraries"
for tool in apt-get dpkg dpkg-deb chroot mount; do
    command -v "$tool" > /dev/null || skip "$tool not found"
done
arch=$(dpkg --print-architecture)
: > "$log"

# The mirror of the host's apt sources for SUITE (deb822 .sources files, then one-line .list files).
host_uri() {  # SUITE
    local files=() f
    for f in /etc/apt/sources.list.d/*.sources; do [[ -f $f ]] && files+=("$f"); done
    if ((${#files[@]} > 0)); then
        awk -v s="$1" 'BEGIN { RS = ""; FS = "\n" }
            { uris = ""; suites = ""; types = ""
              for (i = 1; i <= NF; i++) {
                  v = $i; sub(/^[A-Za-z-]+:[ \t]*/, "", v)
                  if ($i ~ /^URIs:/) uris = v
                  if ($i ~ /^Suites:/) suites = " " v " "
                  if ($i ~ /^Types:/) types = " " v " " }
              if (types ~ / deb / && index(suites, " " s " ") > 0) {
                  n = split(uris, u, /[ \t]+/)
                  for (i = 1; i <= n; i++) if (u[i] ~ /^https?:\/\//) { print u[i]; exit } } }' "${files[@]}" |
            head -1
    fi
    files=()
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [[ -f $f ]] && files+=("$f"); done
    if ((${#files[@]} > 0)); then
        awk -v s="$1" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == s && $i ~ /^https?:\/\//) { print $i; exit } }' "${files[@]}" | head -1
    fi
}
mirror=${MIRROR:-$(host_uri "$suite" | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}
security=$(host_uri "$suite-security" | head -1)
security=${security:-http://deb.debian.org/debian-security}

if ! command -v debootstrap > /dev/null; then
    say "installing debootstrap"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        debootstrap wget; } >> "$log" 2>&1 || skip "debootstrap is not installed and apt-get could not install it"
fi
command -v wget > /dev/null || skip "wget not found (debootstrap needs it)"
wget -q --tries=1 --timeout=20 -O /dev/null "$mirror/dists/$suite/InRelease" ||
    skip "cannot reach the Debian mirror $mirror"

if [[ -z $deb ]]; then
    say "cpack -G DEB in $out"
    rm -f "$out"/prunescope_*.deb
    (cd "$out" && cpack -G DEB) >> "$log" 2>&1 || { echo "test-install: cpack failed ($log)"; exit 1; }
    debs=("$out"/prunescope_*.deb)
    deb=${debs[0]}
fi
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
package_version=$(dpkg-deb -f "$deb" Version)
upstream_version=${package_version%-*}

# Stages (their times) and checks (PASS, FAIL or "not run"), for the summary.
stages=()
declare -A seconds=()
checks=()
declare -A result=() detail=()
clock() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(clock)" 'BEGIN { printf "%.1f", b - a }'; }
timed() {  # NAME COMMAND...: runs COMMAND with its output in the log, records its time
    local name=$1 t status=0
    shift
    say "$name"
    t=$(clock)
    "$@" >> "$log" 2>&1 || status=$?
    stages+=("$name")
    seconds[$name]=$(since "$t")
    return $status
}
check() {  # NAME PASS|FAIL DETAIL
    checks+=("$1")
    result[$1]=$2
    detail[$1]=$3
    say "$1: $2${3:+ ($3)}"
}

work=$(mktemp -d "${TMPDIR:-/var/tmp}/prunescope-test-install.XXXXXX")
root=$work/root
mounts_under_root() { awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r; }
remove_root() {  # stops what still runs in the root (Xvfb, the GUI), unmounts, removes it
    local pid m
    for pid in /proc/[0-9]*; do
        [[ $(readlink "$pid/root" 2> /dev/null) == "$root" ]] && kill -9 "${pid#/proc/}" 2> /dev/null
    done
    for m in $(mounts_under_root); do umount "$m" 2> /dev/null || umount -l "$m"; done
    if [[ -n $(mounts_under_root) ]]; then
        echo "test-install: still mounted under $root, not removed: $(mounts_under_root | tr '\n' ' ')"
        return 1
    fi
    rm -rf "$root"
}
cleanup() {
    local status=$?
    set +e
    remove_root && rm -rf "$work"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_root() {
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
# Every path in the root but /proc, /sys, /dev (mounted here) and /tmp, sorted.
list_root() {
    (cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp \) -prune -o -print) |
        sed 's:^\.::; /^$/d' | sort
}
# Installed packages, or removed with their configuration files left: "ii bash".
list_packages() { in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 != "un" && $1 != "pn"' | sort; }

# 1. A pristine root: unpacked from the cached tarball, or made by debootstrap and cached; with
# devices, kernel file systems, DNS, the apt sources of a standard install (updates, security),
# no services started, upgraded as a user's system is.
cache=${XDG_CACHE_HOME:-$HOME/.cache}/prunescope
tarball=$cache/debootstrap-$suite-$arch-minbase.tar
mkdir -p "$cache"
bootstrap() {
    debootstrap --variant=minbase "$suite" "$root" "$mirror" || return 1
    for m in $(mounts_under_root); do umount "$m"; done
    tar -C "$root" --numeric-owner --one-file-system -cpf "$tarball.part" . && mv "$tarball.part" "$tarball"
}
prepare() { in_root apt-get update && in_root apt-get upgrade -y && in_root apt-get clean; }
make_root() {  # [" again"]: the suffix of its stages' names
    mkdir -p "$root"
    if [[ -f $tarball && -z $(find "$tarball" -mtime +30) ]]; then
        timed "unpack the cached root${1:-}" tar -C "$root" --numeric-owner -xpf "$tarball"
    else
        timed "debootstrap $suite from $mirror" bootstrap || { echo "test-install: debootstrap failed ($log)"; exit 1; }
    fi
    local node name type major minor
    for node in "null c 1 3" "zero c 1 5" "full c 1 7" "random c 1 8" "urandom c 1 9" "tty c 5 0"; do
        read -r name type major minor <<< "$node"
        [[ -e $root/dev/$name ]] || mknod -m 666 "$root/dev/$name" "$type" "$major" "$minor"
    done
    mkdir -p "$root/dev/pts" "$root/dev/shm"
    mount -t proc proc "$root/proc"
    mount -t sysfs -o ro sysfs "$root/sys"
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
    ln -sf pts/ptmx "$root/dev/ptmx"
    mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    {
        echo "deb $mirror $suite main"
        if [[ $suite != sid ]]; then
            echo "deb $mirror $suite-updates main"
            echo "deb $security $suite-security main"
        fi
    } > "$root/etc/apt/sources.list"
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    timed "apt-get update, upgrade${1:-}" prepare || { echo "test-install: apt-get update or upgrade failed ($log)"; exit 1; }
    cp "$deb" "$root/tmp/"
}
say "root: $root"
make_root
list_root > "$work/files-pristine"
list_packages > "$work/packages-pristine"
debname=$(basename "$deb")
tools=(xvfb xauth x11-utils imagemagick)

# 2. The control run, the oracle of the last check: the package's dependencies (what apt-get install
# ./PACKAGE installs, recommended packages too) and the test tools, installed and purged without the
# package, on a pristine root. Debian's packages leave files behind by themselves (system users'
# shadow backups, systemd's machine-id and state folders) and apt keeps what a package of the
# minimal root recommends (apt recommends ca-certificates); the package's own run must leave nothing
# more. Its file lists are cached, keyed by this script, the pristine root's package versions and
# those apt would install, so it runs again only when one of these changes; then the root is made
# again from the tarball for the package's run (apt's downloads kept).
in_root apt-get install -s "/tmp/$debname" > "$work/simulation" 2>> "$log" || true
in_root apt-get install -s --no-install-recommends "${tools[@]}" > "$work/simulation-tools" 2>> "$log" || true
mapfile -t deps < <(awk '$1 == "Inst" && $2 != "prunescope" { print $2 }' "$work/simulation")
control_key=$({
    sha256sum < "$0"
    in_root dpkg-query -W -f='${Package} ${Version}\n'
    grep -h '^Inst' "$work/simulation" "$work/simulation-tools"
} | sha256sum | cut -c1-16)
control_cache=$cache/test-install-control-$suite-$arch-$control_key
control() {
    in_root apt-get install -y "${deps[@]}" && in_root apt-get install -y --no-install-recommends "${tools[@]}" &&
        in_root apt-mark auto "${deps[@]}" > /dev/null && in_root apt-get purge -y "${tools[@]}" &&
        in_root apt-get autoremove --purge -y
}
if [[ -f $control_cache.files && -f $control_cache.packages ]]; then
    say "control run: the same as before (${control_cache/#$HOME/\~}.*)"
    cp "$control_cache.files" "$work/files-control"
    cp "$control_cache.packages" "$work/packages-control"
else
    if ((${#deps[@]} == 0)) || ! timed "control: install and purge the ${#deps[@]} dependencies alone" control; then
        echo "test-install: apt-get could not install or purge the dependencies alone ($log)"
        exit 1
    fi
    list_root > "$work/files-control"
    list_packages > "$work/packages-control"
    rm -f "$cache/test-install-control-$suite-$arch-"*
    cp "$work/files-control" "$control_cache.files"
    cp "$work/packages-control" "$control_cache.packages"
    mkdir "$work/archives"
    find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec mv -t "$work/archives" {} +
    remove_root
    make_root " again"
    find "$work/archives" -maxdepth 1 -name '*.deb' -exec mv -t "$root/var/cache/apt/archives" {} +
fi

# 3. The package, as a user installs it.
if timed "apt-get install ./$debname" in_root apt-get install -y "/tmp/$debname" &&
    in_root dpkg-query -W -f='${Status}' prunescope | grep -q "ok installed"; then
    installed=1
    list_packages > "$work/packages-installed"
    comm -13 "$work/packages-pristine" "$work/packages-installed" | awk '{ print $2 }' > "$work/packages-new"
    new_packages=$(($(wc -l < "$work/packages-new") - 1))
    kib_package=$(in_root dpkg-query -W -f='${Installed-Size}' prunescope)
    # shellcheck disable=SC2046  # one package name a word
    kib_all=$(in_root dpkg-query -W -f='${Installed-Size}\n' $(cat "$work/packages-new") | awk '{ s += $1 } END { print s }')
    in_root dpkg -L prunescope > "$work/package-paths"
    package_files=0
    while read -r path; do
        if [[ -f $root$path && ! -L $root$path ]]; then package_files=$((package_files + 1)); fi
    done < "$work/package-paths"
    check "install" PASS "$package_version: $package_files files, $((kib_package / 1024)) MiB; with the $new_packages \
packages it pulls in from Debian $((kib_all / 1024)) MiB"
else
    installed=0
    check "install" FAIL "apt-get install failed, see $log"
fi

if ((installed)); then
    # 4. The command-line tool and the desktop application without a display.
    version=$(in_root prunescope-cli --version 2>> "$log") || true
    echo "$version" >> "$log"
    if [[ $version == "prunescope-cli $upstream_version "* ]]; then
        check "prunescope-cli --version" PASS "$version"
    else
        check "prunescope-cli --version" FAIL "printed '$version', expected prunescope-cli $upstream_version"
    fi
    version=$(in_root prunescope --version 2>> "$log") || true
    echo "$version" >> "$log"
    if [[ $version == "Prunescope $upstream_version" ]]; then
        check "prunescope --version" PASS "$version"
    else
        check "prunescope --version" FAIL "printed '$version', expected Prunescope $upstream_version"
    fi

    # The quick demo with one seed: every stage of the experiment, on the smallest setting it has.
    demo_timeout=${DEMO_TIMEOUT:-1800}
    demo="prunescope-cli demo --quick --seeds 1"
    # shellcheck disable=SC2086  # the command's words
    if timed "$demo" in_root timeout "$demo_timeout" $demo --quiet --out /tmp/demo &&
        [[ -f $root/tmp/demo/report.md && -f $root/tmp/demo/demo.prunescope ]]; then
        check "demo" PASS "report.md and demo.prunescope written in ${seconds[$demo]} s"
    else
        check "demo" FAIL "no report.md and demo.prunescope (timeout ${demo_timeout} s), see $log"
    fi

    # 5. The desktop application under Xvfb on the demo's session.
    timed "apt-get install the test tools (${tools[*]})" \
        in_root apt-get install -y --no-install-recommends "${tools[@]}" || true
    cat > "$root/tmp/gui-check.sh" << 'END'
#!/bin/sh
# Runs under xvfb-run (black root window): starts prunescope, waits for its main window, takes a
# screenshot of the screen and prints its number of colours.
session=/tmp/demo/demo.prunescope
[ -f "$session" ] || session=""
prunescope $session > /tmp/gui.log 2>&1 &
pid=$!
i=0
until xwininfo -root -tree | grep -q 'Prunescope'; do
    if ! kill -0 "$pid" 2> /dev/null || [ $i -ge 120 ]; then
        echo "gui-check: no Prunescope window after $i s"
        cat /tmp/gui.log
        kill "$pid" 2> /dev/null
        exit 1
    fi
    sleep 1
    i=$((i + 1))
done
sleep 5  # the session's views are filled after the window is shown
xwininfo -root -tree | grep 'Prunescope'
import -window root /tmp/screenshot.png
alive=yes
kill -0 "$pid" 2> /dev/null || alive=no
kill "$pid" 2> /dev/null
wait "$pid"
cat /tmp/gui.log
echo "gui-check: window after $i s; still running at the screenshot: $alive"
echo "gui-check: colours $(identify -format %k /tmp/screenshot.png)"
[ $alive = yes ]
END
    chmod 755 "$root/tmp/gui-check.sh"
    gui_ok=0
    timed "prunescope under Xvfb: one screenshot" \
        in_root xvfb-run -a -s "-screen 0 1920x1080x24 -br" /tmp/gui-check.sh && gui_ok=1
    colours=$(sed -n 's/^gui-check: colours \([0-9]*\)$/\1/p' "$log" | tail -1)
    rm -f "$screenshot"
    if [[ -s $root/tmp/screenshot.png ]]; then cp "$root/tmp/screenshot.png" "$screenshot"; fi
    if ((gui_ok)) && [[ -s $screenshot && ${colours:-0} -gt 1 ]]; then
        check "GUI screenshot" PASS "$screenshot, 1920x1080, $colours colours"
    else
        check "GUI screenshot" FAIL "window, screenshot or colours missing (colours: ${colours:-none}), see $log"
    fi

    # 6. Purge the package: none of its files may stay, nor its folders unless another package
    # owns them.
    rm -rf "${root:?}/tmp/"* "$root/tmp/".[!.]* 2> /dev/null || true
    if timed "apt-get purge prunescope" in_root apt-get purge -y prunescope; then
        left=()
        while read -r path; do
            if [[ -d $root$path && ! -L $root$path ]]; then
                in_root dpkg-query -S "$path" > /dev/null 2>&1 || left+=("$path")
            elif [[ -e $root$path || -L $root$path ]]; then
                left+=("$path")
            fi
        done < "$work/package-paths"
        if ((${#left[@]} == 0)) && ! in_root dpkg-query -W -f='${Status}' prunescope 2> /dev/null | grep -q "ok installed"; then
            check "purge" PASS "none of the $(wc -l < "$work/package-paths") paths of dpkg -L prunescope is left"
        else
            check "purge" FAIL "left: ${left[*]:0:5}"
        fi
    else
        check "purge" FAIL "apt-get purge failed, see $log"
    fi

    # 7. Purge the test tools and the dependencies as in the control run: the root must have the
    # control run's files and packages again. apt's and dpkg's state, debconf's database, logs and
    # the user's home are not compared.
    remove_all() { in_root apt-get purge -y "${tools[@]}" && in_root apt-get autoremove --purge -y; }
    timed "apt-get purge the test tools, autoremove --purge" remove_all || true
    list_packages > "$work/packages-final"
    ignore='^/(var/lib/(apt|dpkg)|var/cache/(apt|debconf|ldconfig)|var/log|root)(/|$)|^/etc/ld\.so\.cache$'
    grep -Ev "$ignore" "$work/files-control" > "$work/files-control-compared" || true
    list_root | grep -Ev "$ignore" > "$work/files-final" || true
    comm -13 "$work/files-control-compared" "$work/files-final" > "$work/files-new"
    comm -23 "$work/files-control-compared" "$work/files-final" > "$work/files-gone"
    diff "$work/packages-control" "$work/packages-final" > "$work/packages-differ" || true
    control_left=$(grep -Ev "$ignore" "$work/files-pristine" | comm -13 - "$work/files-control-compared" | wc -l)
    control_kept=$(comm -13 "$work/packages-pristine" "$work/packages-control" | awk '{ print $2 }' | paste -sd ' ')
    {
        echo "test-install: the control run left $control_left paths and kept the packages: ${control_kept:-none}"
        echo "test-install: new paths after the purge (beyond the control run's):"
        cat "$work/files-new"
        echo "test-install: paths of the control run that are gone:"
        cat "$work/files-gone"
        echo "test-install: packages that differ from the control run's:"
        cat "$work/packages-differ"
    } >> "$log"
    if [[ -s $work/files-new || -s $work/files-gone || -s $work/packages-differ ]]; then
        check "nothing left" FAIL "$(wc -l < "$work/files-new") new paths ($(head -3 "$work/files-new" | tr '\n' ' ')), \
$(wc -l < "$work/files-gone") gone, $(grep -c '^[<>]' "$work/packages-differ") packages differ from the control run; see $log"
    else
        check "nothing left" PASS "the same files and packages as after the control run, whose dependencies alone \
left $control_left paths and kept ${control_kept:-no packages}"
    fi
fi

# Summary.
{
    echo
    echo "test-install: $(basename "$deb") on a clean Debian $suite root ($arch)"
    total=0
    for name in "${stages[@]}"; do
        printf '  %7.1f s  %s\n' "${seconds[$name]}" "$name"
        total=$(awk -v a="$total" -v b="${seconds[$name]}" 'BEGIN { print a + b }')
    done
    printf '  %7.1f s  these stages; %d s wall clock in all (cpack, file lists)\n' "$total" "$SECONDS"
    for name in "${checks[@]}"; do printf '  %-4s  %s: %s\n' "${result[$name]}" "$name" "${detail[$name]}"; done
    echo "test-install: full log in $log"
} | tee -a "$log"
failed=0
for name in "${checks[@]}"; do [[ ${result[$name]} == PASS ]] || failed=$((failed + 1)); done
if ((failed > 0 || ${#checks[@]} < 7)); then
    echo "test-install: FAILED ($failed of ${#checks[@]} checks failed; $((7 - ${#checks[@]})) not run)"
    exit 1
fi
echo "test-install: passed (${#checks[@]} checks)"
