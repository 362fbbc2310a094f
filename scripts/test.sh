#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine or an up-to-date one:
#   1. set-up: scripts/setup.sh (install what is missing, configure and build build/, -Werror)
#   2. ctest in build/: every test, all labels (unit and integration)
#   3. ASan+UBSan build in build-asan/: configure and build the unit-test executables only
#   4. ctest -L unit in build-asan/ with the sanitizers set to halt on the first error
#   5. the libFuzzer targets: tests/fuzz/run (clang build in build-fuzz/, a few seconds each,
#      seed corpora and crash reproducers replayed first)
# Runs every phase it can, prints a summary of the phases and ctest's own summary lines last, and
# exits non-zero if any phase failed.
#
# Usage: bash scripts/test.sh [extra ctest args for phases 2 and 4, e.g. -R Sqs]
# Environment: CARDSIM_JOBS=N (default 2), CARDSIM_SKIP_ASAN=1 (skip phases 3-4, for a quick local run),
#   CARDSIM_SKIP_FUZZ=1 (skip phase 5), CARDSIM_FUZZ_SECONDS=N (time per fuzz target, default 5)
# Phase functions are called through run_phase, which shellcheck cannot follow.
# shellcheck disable=SC2317
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

jobs="${CARDSIM_JOBS:-2}"
asan_dir=build-asan
logs="$(mktemp -d "${TMPDIR:-/tmp}/cardsim-test.XXXXXX")"
trap 'rm -rf "$logs"' EXIT

phase_names=()
phase_results=()
record() { phase_names+=("$1"); phase_results+=("$2"); }
banner() { printf '\n==== %s ====\n' "$*"; }
failed=0

run_phase() {  # run_phase NAME COMMAND... : runs, records PASS/FAIL, returns the command's status
    local name="$1"; shift
    banner "$name"
    local start=$SECONDS
    "$@"
    local rc=$?
    local took=$((SECONDS - start))
    if ((rc == 0)); then record "$name" "PASS (${took}s)"; else record "$name" "FAIL (exit $rc, ${took}s)"; failed=1; fi
    return $rc
}

# ctest's output is also kept in a log, so its summary lines can be repeated at the very end.
# (With no tests, ctest says "No tests were found" and passes; the final count then shows 0.)
extra_ctest_args=("$@")
ctest_main() {
    ctest --test-dir build --output-on-failure --timeout 300 -j"$jobs" "${extra_ctest_args[@]}" 2>&1 | tee "$logs/main.log"
}
ctest_asan() {
    ctest --test-dir "$asan_dir" -L unit --output-on-failure --timeout 300 -j"$jobs" "${extra_ctest_args[@]}" 2>&1 \
        | tee "$logs/asan.log"
}

# --- 1. set-up and build ------------------------------------------------------------------------
if run_phase "setup + build (build/)" bash scripts/setup.sh; then
    # --- 2. all tests ---------------------------------------------------------------------------
    run_phase "ctest all labels (build/)" ctest_main
    main_ran=1
else
    record "ctest all labels (build/)" "SKIP (set-up failed)"
    main_ran=0
fi

# --- 3./4. sanitizers ---------------------------------------------------------------------------
asan_ran=0
if [[ "${CARDSIM_SKIP_ASAN:-0}" == 1 ]]; then
    record "asan+ubsan build (build-asan/)" "SKIP (CARDSIM_SKIP_ASAN=1)"
    record "ctest -L unit (build-asan/)" "SKIP (CARDSIM_SKIP_ASAN=1)"
elif ((main_ran == 0)); then
    record "asan+ubsan build (build-asan/)" "SKIP (set-up failed)"
    record "ctest -L unit (build-asan/)" "SKIP (set-up failed)"
else
    # Halt on the first report, with a stack; leaks count as errors. Also set while building: the
    # GoogleTest discovery step runs the instrumented test executables.
    export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:print_summary=1"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:print_summary=1"

    # -O1 -g1 (instead of RelWithDebInfo's -O2 -g): what the sanitizer docs recommend, with line
    # tables for the stack traces, and about half the compile time for the Beast-heavy files.
    asan_flags='-O1 -g1 -DNDEBUG'
    asan_build() {
        local cache="$asan_dir/CMakeCache.txt"
        if [[ -f "$asan_dir/build.ninja" ]] && grep -qx 'SIM_SANITIZE:STRING=address;undefined' "$cache" \
                && grep -qx 'SIM_WERROR:BOOL=ON' "$cache" \
                && grep -qx "CMAKE_CXX_FLAGS_RELWITHDEBINFO:STRING=$asan_flags" "$cache"; then
            echo "configure: $asan_dir/ already configured"
        else
            cmake -S . -B "$asan_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIM_SANITIZE='address;undefined' \
                -DSIM_WERROR=ON "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$asan_flags" || return
        fi
        # Only the unit-test executables (and what they link): integration tests do not run here.
        local targets
        mapfile -t targets < <(ninja -C "$asan_dir" -t targets all \
            | awk -F': ' '$2 ~ /^CXX_EXECUTABLE_LINKER/ && $1 ~ /^tests\/unit\// && $1 !~ /_tests\.cmake$/ {print $1}')
        if ((${#targets[@]} == 0)); then
            echo "no unit-test executables defined yet: nothing to build"
            return 0
        fi
        echo "building: ${targets[*]}"
        ninja -C "$asan_dir" -j"$jobs" "${targets[@]}"
    }
    if run_phase "asan+ubsan build (build-asan/)" asan_build; then
        run_phase "ctest -L unit (build-asan/)" ctest_asan
        asan_ran=1
    else
        record "ctest -L unit (build-asan/)" "SKIP (build failed)"
    fi
fi

# --- 5. fuzzing -----------------------------------------------------------------------------------
if [[ "${CARDSIM_SKIP_FUZZ:-0}" == 1 ]]; then
    record "fuzz (build-fuzz/)" "SKIP (CARDSIM_SKIP_FUZZ=1)"
elif ((main_ran == 0)); then
    record "fuzz (build-fuzz/)" "SKIP (set-up failed)"
else
    run_phase "fuzz (build-fuzz/)" bash tests/fuzz/run --seconds "${CARDSIM_FUZZ_SECONDS:-5}" --jobs "$jobs"
fi

# --- summary ------------------------------------------------------------------------------------
banner "summary"
for i in "${!phase_names[@]}"; do
    printf '  %-34s %s\n' "${phase_names[$i]}" "${phase_results[$i]}"
done

# Repeat ctest's own closing lines ("N% tests passed, N tests failed out of N", the FAILED list)
# so they are the last thing printed, then one combined count.
total_pass=0
total_fail=0
show_ctest_summary() {  # show_ctest_summary TITLE LOG
    local title="$1" log="$2"
    [[ -f "$log" ]] || return 0
    echo
    echo "$title:"
    # From the summary line to the end: the summary, the label times, the total time, failures.
    sed -n '/tests passed, .* tests\{0,1\} failed out of\|No tests were found/,$p' "$log" \
        | grep -v '^Errors while running CTest' | grep -v '^Output from these tests' \
        | grep -v '^Use "--rerun-failed' | sed '/^$/d'
    local line
    line="$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)"
    if [[ -n "$line" ]]; then
        local nfail ntotal
        nfail="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")"
        ntotal="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")"
        total_pass=$((total_pass + ntotal - nfail))
        total_fail=$((total_fail + nfail))
    fi
}
((main_ran)) && show_ctest_summary "ctest, all labels (build/)" "$logs/main.log"
((asan_ran)) && show_ctest_summary "ctest, unit tests under ASan+UBSan (build-asan/)" "$logs/asan.log"

echo
if ((failed)); then
    echo "RESULT: FAILED"
else
    echo "RESULT: OK"
fi
echo "tests: $total_pass passed, $total_fail failed"
exit "$failed"
