#!/usr/bin/env bash
# The main job: set-up (install what is missing, configure, build the binary), then run cardsim.
# Without arguments the default main job below runs; flags alone are added to it; arguments that
# start with a command are passed to cardsim as they are.
#   bash scripts/run.sh                          -> cardsim serve
#   bash scripts/run.sh --clock virtual          -> cardsim serve --clock virtual
#   bash scripts/run.sh help serve               -> cardsim help serve
# Set-up output goes to stderr, so stdout carries only cardsim's own (its "listening ..." lines).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The default main job. When the scenario runner exists, make it the default by changing this one
# line to:  default_job=(run scenarios/)
default_job=(serve)

bash scripts/setup.sh cardsim >&2
if (($# == 0)) || [[ "$1" == -* ]]; then
    set -- "${default_job[@]}" "$@"
fi
exec build/cardsim "$@"
