#!/bin/sh
# Configures (once) and builds Geneva into build/. Usage: scripts/build.sh [builddir]
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ -f "$dir/build.ninja" ] || meson setup "$dir" >/dev/null
ninja -C "$dir" >/dev/null
