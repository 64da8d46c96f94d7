#!/usr/bin/env bash
# Runs on a GPU host (the device machine) from the repository root, after bench/device_kit.sh packed .devkit/:
# what the remote driver offers against the host's own (bench/extension_report.py), then every test program
# native against remote, byte for byte. Results go to $OUT (or /tmp/anarchy-device).
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"
VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd python3 "$k/bench/extension_report.py" --anarchy "$b/anarchy" \
  --vulkaninfo "$k/vulkaninfo" --reasons "$k/bench/vk_schema_autogen.cpp" 2>&1 | tee "$out/extensions.txt"
port=7412
VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd "$b/anarchy" serve --listen 127.0.0.1:$port >"$out/server.log" 2>&1 &
server=$!
sleep 1
progs=$("$b/tests/programs/anarchy_testprog" 2>&1 | awk '/^  [a-z_]+ /{print $1}' | grep -v -e crash_after_map -e soak_waits -e crash_mid_frame -e wait_across_destroy)
for p in $progs; do
  VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd timeout 120 "$b/tests/programs/anarchy_testprog" "$p" --out "$run/native_$p.bin" >/dev/null 2>"$run/native_$p.err"
  n=$?
  timeout 120 "$b/anarchy" run --server 127.0.0.1:$port -- "$b/tests/programs/anarchy_testprog" "$p" --out "$run/remote_$p.bin" >/dev/null 2>"$run/remote_$p.err"
  r=$?
  if [ $n -eq 0 ] && [ $r -eq 0 ] && cmp -s "$run/native_$p.bin" "$run/remote_$p.bin"; then same=identical; else same="DIFFERENT (native rc $n, remote rc $r)"; fi
  echo "program $p: $same" | tee -a "$out/programs.txt"
  [ $r -ne 0 ] && tail -3 "$run/remote_$p.err"
done
kill $server; wait $server 2>/dev/null
tail -20 "$out/server.log"
