#!/bin/sh
# The main job on the embedded default (no server): install, build, scan the
# bundled sample messages and print their verdicts with their reasons.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh build
status=0
./build/src/cli/geneva scan --config config/geneva.yaml samples/ || status=$?
# exit 1 means "something was quarantined or rejected": the expected result
[ "$status" -le 1 ]
