#!/usr/bin/env bash
# Runs on a GPU host (the device machine) from the repository root, after bench/device_kit.sh packed .devkit/:
# a long `anarchy demo --present headless` (FRAMES, default 300000 presented frames, native then remote, lz4-tiles
# at 640x360 unless SIZE and CODEC say otherwise) while every 5 s it records the resident memory (KiB) and thread
# count of each anarchy process (the demo with its server, session workers, the scene with the client driver), so
# a leak or a growing thread count shows as a trend. Results go to $OUT/soak.txt.
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"
frames=${FRAMES:-300000}
size=${SIZE:-640x360}
VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd timeout "${SOAK_TIMEOUT:-480}" "$b/anarchy" demo --present headless \
  --frames "$frames" --width "${size%x*}" --height "${size#*x}" --codec "${CODEC:-lz4-tiles}" >"$out/soak-demo.txt" 2>&1 &
demo=$!
start=$SECONDS
while kill -0 $demo 2>/dev/null; do
  sleep 5
  # Every process below the demo's: session workers run /proc/self/exe (named "exe" until the session thread names
  # itself "anarchy-session"), so they are found by parentage, not by name.
  ps -eo pid,ppid,rss,nlwp,comm --no-headers | awk -v t=$((SECONDS - start)) -v root=$demo '
    { pid[NR] = $1; parent[$1] = $2; line[NR] = $0 }
    END {
      for (i = 1; i <= NR; i++) {
        split(line[i], f, " ")
        for (p = f[2]; p != "" && p != 0 && p != 1 && p != root; p = parent[p]) {}
        if (p == root) printf "t=%ds pid=%s rss_kib=%s threads=%s %s\n", t, f[1], f[3], f[4], f[5]
      }
    }' | tee -a "$out/soak.txt"
done
wait $demo
echo "demo exit status $?" | tee -a "$out/soak.txt"
grep -v "^$" "$out/soak-demo.txt" | grep -v "^frame [0-9]" | tail -24 | tee -a "$out/soak.txt"
grep -c -i -e warn -e error "$out/soak-demo.txt" | sed 's/^/warning or error lines: /' | tee -a "$out/soak.txt"
