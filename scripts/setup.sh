#!/usr/bin/env bash
# Set-up for cardsim on Debian 12 (bookworm), run as root: installs whatever is missing with apt-get,
# configures build/ (CMake + Ninja, warnings as errors) and builds it. When everything is already
# there it is a quick no-op (one dpkg-query, one python check, an up-to-date ninja).
#
# Usage: bash scripts/setup.sh [NINJA_TARGET...]     (no target: build everything)
# Environment:
#   CARDSIM_JOBS=N               parallel build jobs (default 2)
#   CARDSIM_SKIP_TEST_TOOLS=1    do not install the test/bench tools (python3 + boto3 + aws CLI, wrk);
#                                used by the Dockerfile, which only builds the binary
#   CARDSIM_SKIP_BUILD=1         install and configure only
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DEBIAN_FRONTEND=noninteractive
log() { printf '[setup] %s\n' "$*"; }

jobs="${CARDSIM_JOBS:-2}"
build_dir=build

# --- packages ---------------------------------------------------------------------------------
# tzdata: the zoneinfo files EventBridge Scheduler's time zones are read from (not in minimal images).
packages=(g++ cmake ninja-build ccache libboost1.81-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev
          libgtest-dev libssl-dev tzdata)
if [[ "${CARDSIM_SKIP_TEST_TOOLS:-0}" != 1 ]]; then
    # wrk: benchmarks. clang-14 + libclang-rt-14-dev (libFuzzer and the sanitizer runtimes): the
    # fuzz targets of tests/fuzz, built apart in build-fuzz/ (GCC has no libFuzzer).
    packages+=(wrk clang-14 libclang-rt-14-dev)
    # Protocol tests need a python3 that imports boto3, and the aws CLI. Use the machine's own if it
    # has both (e.g. a pyenv python with boto3 and awscli); otherwise Debian's.
    if command -v python3 >/dev/null && command -v aws >/dev/null \
            && python3 -c 'import boto3' >/dev/null 2>&1; then
        :
    else
        packages+=(python3 python3-boto3 awscli)
    fi
fi

# One dpkg-query for all packages; names it does not know are simply absent from its output.
installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)"
missing=()
for p in "${packages[@]}"; do
    if ! grep -qx "$p install ok installed" <<<"$installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    log "packages: all present"
fi

# --- configure --------------------------------------------------------------------------------
# The top-level CMakeLists.txt compiles through ccache when it is installed (cache in ccache's
# default directory). Configure only when build/ is not yet configured the way the tests need it
# (Ninja, warnings as errors, no sanitizers: those live in build-asan/).
cache="$build_dir/CMakeCache.txt"
if [[ -f "$build_dir/build.ninja" && -f "$cache" ]] && grep -qx 'SIM_WERROR:BOOL=ON' "$cache" \
        && grep -qx 'SIM_SANITIZE:STRING=' "$cache" && grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$cache"; then
    log "configure: $build_dir/ already configured"
else
    log "configure: cmake -S . -B $build_dir -G Ninja -DSIM_WERROR=ON -DSIM_SANITIZE="
    cmake -S . -B "$build_dir" -G Ninja -DSIM_WERROR=ON -DSIM_SANITIZE=
fi

# --- build ------------------------------------------------------------------------------------
if [[ "${CARDSIM_SKIP_BUILD:-0}" == 1 ]]; then
    log "build: skipped (CARDSIM_SKIP_BUILD=1)"
    exit 0
fi
log "build: ninja -C $build_dir -j$jobs $*"
ninja -C "$build_dir" -j"$jobs" "$@"
log "done"
