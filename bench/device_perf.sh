#!/usr/bin/env bash
# Runs on a GPU host (the device machine) from the repository root, after `SYMBOLS=1 PERF=1 bench/device_kit.sh`
# packed .devkit/ (the anarchy binaries with their symbol tables, and Debian's perf with its libraries):
# where the CPU time of one mapped-memory case goes, both ends. Starts `anarchy serve`, runs anarchy_memory_bench
# remotely (MODE upload|readback, SIZE_MIB mapped, BYTES a frame, SECONDS) under `perf record -a -g`, and writes
# the flat profile per thread name and symbol (perf.txt) and the bench's own line to $OUT.
set -uo pipefail
source "$(dirname "$0")/device_setup.sh" >/dev/null 2>&1
mode=${MODE:-upload} size=${SIZE_MIB:-1} bytes=${BYTES:-1048576} seconds=${SECONDS_PER_CASE:-3}
[ -e .devkit/perf.tar.xz ] || { echo "no .devkit/perf.tar.xz: pack the kit with PERF=1"; exit 1; }
mkdir -p /tmp/perfkit && tar -C /tmp/perfkit -xJf .devkit/perf.tar.xz
perf() { LD_LIBRARY_PATH=/tmp/perfkit/p/lib:$LD_LIBRARY_PATH /tmp/perfkit/p/perf "$@"; }
port=7611
VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd "$b/anarchy" serve --listen 127.0.0.1:$port >"$out/perf-server.log" 2>&1 &
server=$!
sleep 1
bench=("$b/bench/anarchy_memory_bench" --mode "$mode" --size-mib "$size" --write-bytes "$bytes" --seconds "$seconds")
echo "=== native" | tee "$out/perf-bench.txt"
VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd "${bench[@]}" 2>&1 | grep memory_bench | tee -a "$out/perf-bench.txt"
echo "=== remote" | tee -a "$out/perf-bench.txt"
"$b/bench/anarchy_memory_bench" --help >/dev/null 2>&1
perf record -a -g -o /tmp/perf.data -- "$b/anarchy" run --server 127.0.0.1:$port -- "${bench[@]}" 2>&1 |
  grep -e memory_bench -e perf | tee -a "$out/perf-bench.txt"
kill $server; wait $server 2>/dev/null
perf report -i /tmp/perf.data --no-children -g none --sort comm,sym --percent-limit 0.3 2>/dev/null |
  grep -v '^#' | grep -v '^$' | head -120 >"$out/perf.txt"
perf report -i /tmp/perf.data --no-children -g caller,0.5,callee --sort comm,sym --percent-limit 1 2>/dev/null |
  grep -v '^$' | head -400 >"$out/perf-callers.txt"
head -60 "$out/perf.txt"
