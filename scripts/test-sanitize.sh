#!/usr/bin/env bash
# make test-sanitize: the core and CLI tests under AddressSanitizer + UndefinedBehaviorSanitizer
# (+ LeakSanitizer) in build-asan, then the GUI's engine worker and the experiment pipeline under
# ThreadSanitizer in build-tsan. Both builds use clang (installed when missing) and are kept between
# runs. No report is suppressed; docs/hardening.md says what each setting below is for.
# Exit status: non-zero when a build fails or any test reports.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
asan_dir=${BUILD_ASAN:-build-asan}
tsan_dir=${BUILD_TSAN:-build-tsan}

PRUNESCOPE_WITH_CLANG=1 scripts/install-deps.sh
scripts/fetch-models.sh > /dev/null

# configure DIR ARGS...: configures a clang build once; later runs reuse it.
configure() {
    local dir=$1
    shift
    if [[ ! -f $dir/build.ninja ]]; then
        CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > "$dir.configure.log" 2>&1 ||
            { cat "$dir.configure.log"; exit 1; }
        rm -f "$dir.configure.log"
    fi
}

# Every sanitizer report fails the test that printed it (the canaries in tests/sanitize prove it).
# ignore_noninstrumented_modules: TSan ignores the memory accesses of its interceptors (malloc,
# memcpy, ...) when Qt or LibTorch, which are not instrumented, call them: their own locking is
# invisible to it. Our code's accesses are all checked; tests/sanitize/qt_handoff.cpp tells TSan
# that Qt's event queue orders a queued signal before its delivery.
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1"

echo "test-sanitize: AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer ($asan_dir)"
configure "$asan_dir" -DPRUNESCOPE_SANITIZE=address -DPRUNESCOPE_FUZZ=ON -DPRUNESCOPE_BUILD_GUI=OFF
flock "$asan_dir.lock" cmake --build "$asan_dir" -j "$jobs"
# The core and CLI suites; the slow real-model test and the style/reference checks are not the
# sanitizers' business (the GUI is not built here).
(cd "$asan_dir" && ctest --output-on-failure -j "$jobs" -LE 'slow|style|reference')

echo "test-sanitize: ThreadSanitizer ($tsan_dir)"
configure "$tsan_dir" -DPRUNESCOPE_SANITIZE=thread
# The GUI's engine: its worker thread loads, scores, attributes, previews and fine-tunes while the
# GUI thread posts, cancels and reads results.
tsan_tests=(test_engine_worker)
flock "$tsan_dir.lock" cmake --build "$tsan_dir" -j "$jobs" --target "${tsan_tests[@]}" prunescope-cli sanitizer_canary
(cd "$tsan_dir" && ctest --output-on-failure -j "$jobs" -R "^($(IFS='|'; echo "${tsan_tests[*]}")|sanitizer_canary.*)\$")
echo "test-sanitize: clean"
