#!/usr/bin/env bash
# Runs on a GPU host (the device machine) from the repository root, after bench/device_kit.sh packed .devkit/: the
# validation layer in the SERVER's instance (what the server does on the real driver: the program's commands and
# its own captures on copy and compute queues, acquire signals, queue sharing, which lavapipe's single queue family
# never exercises), the test programs and the demo scene (lz4-tiles and H.264, B8G8R8A8 and R8G8B8A8, MAILBOX and
# FIFO) through it; prints every distinct message. The server's log goes to $out/vserver.log.
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"
[ -d "$k/vl" ] || { echo "the kit has no validation layer (vulkan-validationlayers was not installed where it was packed)"; exit 1; }
export VK_LAYER_PATH=$k/vl
scene=$b/src/demo/anarchy_demo_scene
port=7555
VK_LOADER_DEBUG=layer VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd \
  ANARCHY_LOG=info taskset -c 0-7 "$b/anarchy" serve --listen 127.0.0.1:$port >"$out/vserver.log" 2>&1 &
server=$!
sleep 2
for p in $("$b/tests/programs/anarchy_testprog" 2>&1 | awk '/^  [a-z_]+ /{print $1}' |
           grep -v -e crash_after_map -e soak_waits -e crash_mid_frame -e wait_across_destroy); do
  ANARCHY_SERVER=127.0.0.1:$port VK_DRIVER_FILES=$b/anarchy_icd.json VK_ICD_FILENAMES=$b/anarchy_icd.json timeout 120 \
    "$b/tests/programs/anarchy_testprog" "$p" --out "/tmp/validate_$p.bin" >/dev/null 2>&1
  echo -n "$p=$? "
done
echo
for codec in lz4-tiles h264; do
  for rgba in 0 1; do
    for mode in mailbox fifo; do
      ANARCHY_DEMO_RGBA=$rgba taskset -c 8-15 timeout 120 "$b/anarchy" run --server 127.0.0.1:$port --codec $codec \
        --software-encoder -- "$scene" --frames 300 --width 1920 --height 1080 --present headless --present-mode $mode \
        --quiet 2>&1 | grep RESULT | sed "s/^/$codec rgba=$rgba $mode: /"
    done
  done
done
sleep 2
kill $server
wait $server 2>/dev/null
echo "devices with the layer: $(grep -c 'Inserted device layer "VK_LAYER_KHRONOS_validation"' "$out/vserver.log")"
grep -h "captures on\|acquire semaphores" "$out/vserver.log" | sed 's/.*session [0-9]*: //' | sort | uniq -c
echo "validation messages: $(grep -c 'msgNum' "$out/vserver.log")"
grep -o 'VUID-[A-Za-z0-9_-]*\|UNASSIGNED-[A-Za-z0-9_-]*' "$out/vserver.log" | sort | uniq -c | sort -rn | head -20
exit 0
