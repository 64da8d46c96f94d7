#!/usr/bin/env bash
# Builds the Windows client with mingw-w64: anarchy_vulkan.dll (64-bit, and the 32-bit one with --with-32bit),
# anarchy.exe, the test programs, vulkan-1.dll for them, and the installer anarchy-setup.exe.
# Output: build-windows/x64 (and build-windows/x86). Installs missing packages first, like scripts/build.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="${ANARCHY_WINDOWS_BUILD_DIR:-$root/build-windows}"
with32=0
[ "${1:-}" = "--with-32bit" ] && with32=1
"$root/scripts/install-deps.sh"
args=()
if [ $with32 -eq 1 ]; then
  echo "[build-windows] 32-bit driver in $out/x86"
  # The 32-bit build is the driver only: 32-bit programs reach the same 64-bit server.
  cmake -S "$root" -B "$out/x86" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-mingw32.cmake" \
        -DCMAKE_BUILD_TYPE=Release -DANARCHY_WINDOWS_LOADER=OFF >/dev/null
  cmake --build "$out/x86" -j "$(nproc)" --target anarchy_vulkan
  args+=("-DANARCHY_WINDOWS_32BIT_BUILD=$out/x86")
fi
echo "[build-windows] 64-bit client, test programs and installer in $out/x64"
cmake -S "$root" -B "$out/x64" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-mingw64.cmake" \
      -DCMAKE_BUILD_TYPE=Release "${args[@]}" >/dev/null
cmake --build "$out/x64" -j "$(nproc)"
echo "[build-windows] done: $out/x64/anarchy-setup.exe"
