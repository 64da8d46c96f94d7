#!/usr/bin/env bash
# Quick start 2: install what is missing, build, and run the whole test suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build="${ANARCHY_BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure -j 2 --timeout 600 "$@"
