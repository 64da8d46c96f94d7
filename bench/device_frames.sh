#!/usr/bin/env bash
# Runs on a GPU host (the device machine) from the repository root, after bench/device_kit.sh packed .devkit/:
# `anarchy demo --present headless` at 1280x720, 1920x1080 and 2560x1600 with the lossless and the H.264 stream,
# native against remote (MAILBOX, server and client on this host over loopback). Results go to $OUT.
# SIZES and CODECS (space-separated) pick fewer runs.
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"
frames=${FRAMES:-600}
for size in ${SIZES:-1280x720 1920x1080 2560x1600}; do
  for codec in ${CODECS:-lz4-tiles h264}; do
    echo "=== $size $codec" | tee -a "$out/frames.txt"
    VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd timeout 120 "$b/anarchy" demo --present headless \
      --frames "$frames" --width "${size%x*}" --height "${size#*x}" --codec "$codec" 2>&1 \
      | grep -v "^$" | tail -16 | tee -a "$out/frames.txt"
  done
done
