#!/usr/bin/env bash
# Runs on a GPU host (the device machine) from the repository root, after bench/device_kit.sh packed .devkit/:
# unpacks the kit into a build-like folder, finds the host's Vulkan driver, then measures native against remote
# (server on that driver, client over loopback): the test programs byte for byte, the mapped-memory benchmark,
# and the demo. Results go to $OUT (or /tmp/anarchy-device) as text.
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"

# 1. Every test program, native against remote, byte for byte.
port=7411
VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd "$b/anarchy" serve --listen 127.0.0.1:$port >"$out/server.log" 2>&1 &
server=$!
sleep 1
progs=$("$b/tests/programs/anarchy_testprog" --list 2>/dev/null || echo "graphics renderpass compute transfer queries timeline ring secondary multithread templates mapped_ring readback_cached noncoherent storage_writes threads_writing map_cycles free_mapped stale_fetch")
for p in $progs; do
  VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd timeout 120 "$b/tests/programs/anarchy_testprog" "$p" --out "$run/native_$p.bin" >/dev/null 2>"$run/native_$p.err"
  n=$?
  timeout 120 "$b/anarchy" run --server 127.0.0.1:$port -- "$b/tests/programs/anarchy_testprog" "$p" --out "$run/remote_$p.bin" >/dev/null 2>"$run/remote_$p.err"
  r=$?
  if [ $n -eq 0 ] && [ $r -eq 0 ] && cmp -s "$run/native_$p.bin" "$run/remote_$p.bin"; then verdict=identical; else verdict="DIFFERENT (native exit $n, remote exit $r)"; fi
  echo "program $p: $verdict" | tee -a "$out/summary.txt"
done
kill $server; wait $server 2>/dev/null

# 2. Mapped memory.
PYTHONUNBUFFERED=1 timeout 400 python3 "$k/bench/memory_bench.py" --build "$b" --seconds "${MEMORY_SECONDS:-1}" 2>&1 | tee "$out/memory_bench.txt"

# 3. The demo, offscreen, native against remote.
VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd timeout 120 "$b/anarchy" demo --present none --frames 600 --width 1280 --height 720 2>&1 | tee "$out/demo.txt"
exit 0
