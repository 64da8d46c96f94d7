#!/usr/bin/env bash
# Runs on a GPU host (the device machine) from the repository root, after bench/device_kit.sh packed .devkit/:
# `anarchy demo --present headless` at 1280x720, 1920x1080 and 2560x1600 with the lossless and the H.264 stream,
# native against remote (MAILBOX, server and client on this host over loopback). Results go to $OUT.
# SIZES and CODECS (space-separated) pick fewer runs; FRAMES the frames of each run. Video codecs use the software
# encoders unless HARDWARE=1 (an H100/H200 has no NVENC, and finding that out takes the first 0.7 s of a run).
# SPLIT=1 runs each case as two machines would: `anarchy serve` and the native run on the first half of the CPUs,
# the program with the client driver (its decoder threads included) on the other half (taskset), so the codec
# threads of one end do not take the cores of the other, as on the handheld and its GPU host. SERVER_BIN (a path)
# runs that `anarchy` as the server instead of the kit's, to compare two server builds side by side, and SERVER_ENV
# ("NAME=value ...") sets variables for the server alone (its codec threads, say), CLIENT_ENV for the client; the client
# driver logs how often the program waited in vkAcquireNextImageKHR for an image the stream still held. Each
# split run's per-frame stats go to $out/stats-SIZE-CODEC[-TAG].csv; CHECK_FRAME=1 compares the last frame shown
# (ANARCHY_LAST_FRAME) with the program's own copy of its last frame (lossless runs); RGBA=1 makes the scene present
# R8G8B8A8 (its capture then converts on the GPU, on the asynchronous compute queue where there is one).
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"
frames=${FRAMES:-600}
ncpu=$(nproc)
half=$((ncpu / 2))
server_cpus=0-$((half - 1))
client_cpus=$half-$((ncpu - 1))
scene=$b/src/demo/anarchy_demo_scene
port=7391
for size in ${SIZES:-1280x720 1920x1080 2560x1600}; do
  for codec in ${CODECS:-lz4-tiles h264}; do
    w=${size%x*} h=${size#*x}
    software=--software-encoder hw=0
    [ "${HARDWARE:-0}" = 1 ] && software= hw=1
    if [ "${SPLIT:-0}" = 1 ]; then
      echo "=== $size $codec (server and native on CPUs $server_cpus, program and client on $client_cpus)" | tee -a "$out/frames.txt"
      port=$((port + 1))
      env ${SERVER_ENV:-} VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd taskset -c "$server_cpus" "${SERVER_BIN:-$b/anarchy}" serve \
        --listen 127.0.0.1:$port >"$out/split-server-$size-$codec.log" 2>&1 &
      server=$!
      sleep 1
      VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd taskset -c "$server_cpus" timeout 120 "$scene" --frames "$frames" \
        --width "$w" --height "$h" --png /tmp/split-native.png --quiet 2>&1 | grep RESULT | sed 's/^/native: /' \
        | tee -a "$out/frames.txt"
      rm -f /tmp/split-last.ppm
      last=
      [ "${CHECK_FRAME:-0}" = 1 ] && last=ANARCHY_LAST_FRAME=/tmp/split-last.ppm
      [ "${RGBA:-0}" = 1 ] && last="$last ANARCHY_DEMO_RGBA=1"
      env $last ${CLIENT_ENV:-} ANARCHY_LOG=info taskset -c "$client_cpus" timeout 120 "$b/anarchy" run --server 127.0.0.1:$port --codec "$codec" $software \
        --stats /tmp/split-stats.csv -- "$scene" --frames "$frames" --width "$w" --height "$h" \
        --png /tmp/split-remote.png --quiet --present headless --present-mode mailbox 2>&1 \
        | grep -e RESULT -e "^anarchy:" -e "acquires waited" | sed 's/^RESULT/remote: RESULT/' | tee -a "$out/frames.txt"
      mv /tmp/split-stats.csv "$out/stats-$size-$codec${TAG:+-$TAG}.csv" 2>/dev/null
      # Lossless: the last frame shown must be the program's own last frame, byte for byte (CHECK_FRAME=1; the
      # pure-Python PNG decoding takes a few seconds a megapixel).
      if [ "${CHECK_FRAME:-0}" = 1 ] && [ "$codec" = lz4-tiles ]; then
        python3 bench/compare_frame.py /tmp/split-last.ppm /tmp/split-remote.png 2>&1 | tee -a "$out/frames.txt"
      fi
      kill $server
      wait $server 2>/dev/null
      continue
    fi
    echo "=== $size $codec" | tee -a "$out/frames.txt"
    ANARCHY_HW_ENCODE=$hw VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd timeout 120 "$b/anarchy" demo --present headless \
      --frames "$frames" --width "$w" --height "$h" --codec "$codec" 2>&1 \
      | grep -v "^$" | tail -16 | tee -a "$out/frames.txt"
  done
done
