#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and run `anarchy demo`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
exec "${ANARCHY_BUILD_DIR:-$root/build}/anarchy" demo "$@"
