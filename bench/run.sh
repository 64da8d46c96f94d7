#!/usr/bin/env bash
# Runs the benchmarks against a fresh build and prints the figures the README quotes.
set -euo pipefail
build="${ANARCHY_BUILD_DIR:-$(cd "$(dirname "$0")/.." && pwd)/build}"
echo "== blocking round trip vs raw TCP"
"$build/bench/anarchy_roundtrip_bench" "${ROUNDTRIPS:-20000}"
echo "== demo: remote vs native in one run (round trips per frame)"
"$build/anarchy" demo --frames "${FRAMES:-300}" --png /tmp/anarchy-bench-demo.png 2>/dev/null
