#!/usr/bin/env bash
# Runs on a GPU host (the device machine) from the repository root, after bench/device_kit.sh packed .devkit/: where
# the time of a MAILBOX stream goes, in the split setup of device_frames.sh (server on the first half of the CPUs,
# program and client driver on the other). While a long remote `anarchy_demo_scene --present headless` runs it takes
# `top -H` (CPU per named thread of both ends), samples the state and kernel wait channel of the program's main
# thread and of the server's session thread, and the GPU's utilisation (nvidia-smi); then the same for the native
# run. SIZE (2560x1600), CODEC (lz4-tiles), FRAMES (12000). Results go to $OUT.
set -uo pipefail
source "$(dirname "$0")/device_setup.sh" >/dev/null 2>&1
size=${SIZE:-2560x1600} codec=${CODEC:-lz4-tiles} frames=${FRAMES:-12000}
w=${size%x*} h=${size#*x}
half=$(($(nproc) / 2))
server_cpus=0-$((half - 1)) client_cpus=$half-$(($(nproc) - 1))
scene=$b/src/demo/anarchy_demo_scene
port=7601

# sample PID NAME: 1000 readings of a thread's scheduler state and wait channel, counted.
sample() {
  local tid=$1 name=$2 i
  for i in $(seq 1 1000); do
    echo "$(cut -d' ' -f3 "/proc/$tid/stat" 2>/dev/null) $(cat "/proc/$tid/wchan" 2>/dev/null)"
  done | sort | uniq -c | sort -rn | head -8 | sed "s/^/$name: /" >>"$out/profile.txt"
}

VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd taskset -c "$server_cpus" "$b/anarchy" serve --listen 127.0.0.1:$port \
  >"$out/profile-server.log" 2>&1 &
server=$!
sleep 1
taskset -c "$client_cpus" "$b/anarchy" run --server 127.0.0.1:$port --codec "$codec" --software-encoder -- "$scene" \
  --frames "$frames" --width "$w" --height "$h" --quiet --present headless --present-mode mailbox \
  >"$out/profile-remote.log" 2>&1 &
run=$!
sleep 4
program=$(pgrep -f "anarchy_demo_scene --frames" | head -1)
session=$(ps -eLo tid,comm | awk '$2=="anarchy-session"{print $1}' | head -1)
echo "=== remote $size $codec: program pid $program, session thread $session" >>"$out/profile.txt"
(nvidia-smi dmon -s u -c 4 >"$out/profile-gpu-remote.txt" 2>&1 &)
top -H -b -n 2 -d 3 -w 200 | awk '/^top -/{n++} n==2' | head -45 >>"$out/profile.txt"
[ -n "$program" ] && sample "$program" "program main thread"
[ -n "$session" ] && sample "$session" "server session thread"
wait $run
grep -e RESULT -e "displayed" -e "total" "$out/profile-remote.log" >>"$out/profile.txt"
kill $server; wait $server 2>/dev/null

echo "=== native (offscreen: the NVIDIA driver has no VK_EXT_headless_surface)" >>"$out/profile.txt"
VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd taskset -c "$server_cpus" "$scene" --frames "$((frames * 2))" \
  --width "$w" --height "$h" --quiet >"$out/profile-native.log" 2>&1 &
native=$!
sleep 3
(nvidia-smi dmon -s u -c 4 >"$out/profile-gpu-native.txt" 2>&1 &)
top -H -b -n 2 -d 3 -w 200 | awk '/^top -/{n++} n==2' | head -20 >>"$out/profile.txt"
sample "$native" "native main thread"
wait $native
grep RESULT "$out/profile-native.log" >>"$out/profile.txt"
cat "$out/profile.txt" "$out"/profile-gpu-*.txt
