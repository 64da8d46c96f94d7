#!/usr/bin/env bash
# Configures and builds Anarchy into build/ (Release with debug info). The anarchy binary ends up at build/anarchy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${ANARCHY_BUILD_DIR:-$root/build}"
echo "[build] configuring in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${ANARCHY_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
echo "[build] compiling (this takes a few minutes on 2 cores the first time)"
cmake --build "$build" -j "$(nproc)"
echo "[build] done: $build/anarchy"
