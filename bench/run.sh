#!/usr/bin/env bash
# Runs the benchmarks against a fresh build and prints the figures the README quotes.
set -euo pipefail
build="${ANARCHY_BUILD_DIR:-$(cd "$(dirname "$0")/.." && pwd)/build}"
echo "== blocking round trip vs raw TCP"
"$build/bench/anarchy_roundtrip_bench" "${ROUNDTRIPS:-20000}"
echo "== demo: remote vs native in one run (round trips per frame)"
"$build/anarchy" demo --frames "${FRAMES:-300}" --png /tmp/anarchy-bench-demo.png 2>/dev/null
echo "== vkCmd* recorded per second: native (lavapipe) then remote, 1 and 2 threads"
lvp=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
port="${BENCH_PORT:-47890}"
VK_ICD_FILENAMES="$lvp" "$build/anarchy" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
sleep 1
for threads in 1 2; do
  VK_ICD_FILENAMES="$lvp" "$build/bench/anarchy_record_bench" 100000 20 "$threads"
  "$build/anarchy" run --server "127.0.0.1:$port" -- "$build/bench/anarchy_record_bench" 100000 20 "$threads"
done
echo "== mapped memory: frames per second by mapped size and bytes per frame, native vs remote (upload, readback)"
python3 "$(dirname "$0")/memory_bench.py" --build "$build" --seconds "${MEMORY_SECONDS:-2}"
