#!/bin/sh
# The main job on the embedded default: install, build, scan the bundled
# sample messages and print their verdicts.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh build
./build/src/cli/geneva scan --config config/geneva.yaml samples/ || [ $? -eq 1 ]
