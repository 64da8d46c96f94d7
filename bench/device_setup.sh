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
