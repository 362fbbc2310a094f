#!/usr/bin/env bash
# The main job: set-up (install what is missing, configure, build the binary), then run cardsim.
# Arguments are passed to cardsim; without any, the default main job below runs.
#   bash scripts/run.sh                          -> cardsim serve
#   bash scripts/run.sh serve --clock virtual    -> cardsim serve --clock virtual
# Set-up output goes to stderr, so stdout carries only cardsim's own (its "listening ..." lines).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The default main job. When the scenario runner exists, make it the default by changing this one
# line to:  default_job=(run scenarios/)
default_job=(serve)

bash scripts/setup.sh cardsim >&2
if (($# == 0)); then
    set -- "${default_job[@]}"
fi
exec build/cardsim "$@"
