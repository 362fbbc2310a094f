#!/usr/bin/env bash
# The main job: set-up (install what is missing, configure, build the binary), then run cardsim.
# Without arguments the default main job below runs; flags alone are added to it; arguments that
# start with a command are passed to cardsim as they are.
#   bash scripts/run.sh                          -> cardsim run scenarios/   (every scenario, summary tables)
#   bash scripts/run.sh --verbose                -> cardsim run scenarios/ --verbose
#   bash scripts/run.sh serve --clock virtual    -> cardsim serve --clock virtual
#   bash scripts/run.sh help run                 -> cardsim help run
# Set-up output goes to stderr, so stdout carries only cardsim's own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The default main job: every business scenario in virtual time (docs/scenarios.md).
default_job=(run scenarios/)

bash scripts/setup.sh cardsim >&2
if (($# == 0)) || [[ "$1" == -* ]]; then
    set -- "${default_job[@]}" "$@"
fi
exec build/cardsim "$@"
