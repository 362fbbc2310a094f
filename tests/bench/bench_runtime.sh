#!/usr/bin/env bash
# Runtime figures of `cardsim serve` (start-up to healthy, idle RSS, /_sim/health req/s with wrk).
# Usage: bash tests/bench/bench_runtime.sh [--starts N] [--duration S] [--bin PATH] [--serve-arg=ARG]...
# Needs a built binary (bash scripts/setup.sh), python3 and wrk. See tests/bench/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec python3 tests/bench/bench_runtime.py "$@"
