#!/usr/bin/env bash
# Runs on a GPU host (the device machine) from the repository root, after bench/device_kit.sh packed .devkit/:
# unpacks the kit into a build-like folder, finds the host's Vulkan driver, then measures native against remote
# (server on that driver, client over loopback): the test programs byte for byte, the mapped-memory benchmark,
# and the demo. Results go to $OUT (or /tmp/anarchy-device) as text.
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"

# 1. Every test program, native against remote, byte for byte.
compare_programs 7411 "$out/summary.txt"

# 2. Mapped memory.
PYTHONUNBUFFERED=1 timeout 400 python3 "$k/bench/memory_bench.py" --build "$b" --seconds "${MEMORY_SECONDS:-1}" 2>&1 | tee "$out/memory_bench.txt"

# 3. The demo, offscreen, native against remote.
VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd timeout 120 "$b/anarchy" demo --present none --frames 600 --width 1280 --height 720 2>&1 | tee "$out/demo.txt"
exit 0
