#!/usr/bin/env bash
# Sourced by the device scripts (device_bench.sh, device_compat.sh) on a GPU host, from the repository root:
# unpacks .devkit/kit.tar.xz into a build-like folder ($b), installs the GL libraries the NVIDIA Vulkan driver
# loads (.gl/*.deb), finds the host's Vulkan driver ($icd) and sets LD_LIBRARY_PATH for the kit's libraries.
out=${OUT:-/tmp/anarchy-device}
mkdir -p "$out"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
run=/tmp/anarchy-kit
rm -rf "$run" && mkdir -p "$run" && tar -C "$run" -xJf .devkit/kit.tar.xz
k=$run/kit
b=$run/build
mkdir -p "$b/bench" "$b/tests/programs" "$b/src/demo"
cp "$k/anarchy" "$k/libanarchy_vulkan.so" "$k/anarchy_icd.json" "$b/"
cp "$k"/anarchy_*bench "$b/bench/"
cp "$k/anarchy_testprog" "$b/tests/programs/"
cp "$k/anarchy_demo_scene" "$b/src/demo/"
echo "LD_LIBRARY_PATH was: ${LD_LIBRARY_PATH:-}"
export LD_LIBRARY_PATH=$k/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
icd=$(ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json \
        /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd*.json 2>/dev/null | head -1)
[ -n "$icd" ] || { echo "no NVIDIA Vulkan driver manifest found"; exit 1; }
export ANARCHY_NATIVE_ICD=$icd
echo "native driver: $icd" | tee "$out/summary.txt"
VK_LOADER_DEBUG=error,driver VK_DRIVER_FILES=$icd timeout 60 "$b/tests/programs/anarchy_testprog" compute --out /tmp/c.bin 2>&1 | grep -v "^$" | head -20
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee -a "$out/summary.txt"

# compare_programs PORT RESULTS: every test program that has an output to compare (the crash and soak programs
# have none), natively and through a server on PORT, byte for byte; one line each to stdout and RESULTS. The
# server's log goes to $out/server.log.
compare_programs() {
  local port=$1 results=$2 p n r verdict
  VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd "$b/anarchy" serve --listen 127.0.0.1:$port >"$out/server.log" 2>&1 &
  local server=$!
  sleep 1
  for p in $("$b/tests/programs/anarchy_testprog" 2>&1 | awk '/^  [a-z_]+ /{print $1}' |
             grep -v -e crash_after_map -e soak_waits -e crash_mid_frame -e wait_across_destroy); do
    VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd timeout 120 "$b/tests/programs/anarchy_testprog" "$p" \
      --out "$run/native_$p.bin" >/dev/null 2>"$run/native_$p.err"
    n=$?
    timeout 120 "$b/anarchy" run --server 127.0.0.1:$port -- "$b/tests/programs/anarchy_testprog" "$p" \
      --out "$run/remote_$p.bin" >/dev/null 2>"$run/remote_$p.err"
    r=$?
    if [ $n -eq 0 ] && [ $r -eq 0 ] && cmp -s "$run/native_$p.bin" "$run/remote_$p.bin"; then verdict=identical
    elif [ $n -eq 77 ] && [ $r -eq 77 ]; then verdict="unsupported by this driver, natively and remotely"
    # e.g. video_decode while Vulkan Video is not forwarded: a gap, but not a wrong output.
    elif [ $n -eq 0 ] && [ $r -eq 77 ]; then verdict="DIFFERENT: unsupported remotely only (native exit 0, remote exit 77)"
    else verdict="DIFFERENT (native exit $n, remote exit $r)"; fi
    echo "program $p: $verdict" | tee -a "$results"
    [ $r -ne 0 ] && tail -3 "$run/remote_$p.err"
  done
  kill $server
  wait $server 2>/dev/null
}
