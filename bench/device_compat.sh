#!/usr/bin/env bash
# Runs on a GPU host (the device machine) from the repository root, after bench/device_kit.sh packed .devkit/:
# what the remote driver offers against the host's own (bench/extension_report.py), then every test program
# native against remote, byte for byte. Results go to $OUT (or /tmp/anarchy-device).
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"
VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd python3 "$k/bench/extension_report.py" --anarchy "$b/anarchy" \
  --vulkaninfo "$k/vulkaninfo" --reasons "$k/bench/vk_schema_autogen.cpp" 2>&1 | tee "$out/extensions.txt"
compare_programs 7412 "$out/programs.txt"
tail -20 "$out/server.log"
