#!/usr/bin/env bash
# Quick start 2: install what is missing, build, and run the whole test suite; then the sanitizer pass: the server
# and the fuzz targets again with AddressSanitizer and UndefinedBehaviorSanitizer (clang, build-asan/), the
# malformed-input tests against that server and the kept fuzz inputs through it, and a short fixed run of each
# fuzzer. ANARCHY_SANITIZE=0 skips the sanitizer pass.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build="${ANARCHY_BUILD_DIR:-$root/build}"
(cd "$build" && ctest --output-on-failure -j 2 --timeout 600 "$@")
[ "${ANARCHY_SANITIZE:-1}" != 0 ] || exit 0
asan="${ANARCHY_ASAN_BUILD_DIR:-$root/build-asan}"
echo "[test] sanitizer build in $asan (clang, -fsanitize=address,undefined)"
CC=clang CXX=clang++ cmake -S "$root" -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANARCHY_FUZZ=ON \
  -DANARCHY_CLIENT_BUILD="$build" -DANARCHY_BUILD_WINDOWS_CLIENT=OFF >/dev/null
cmake --build "$asan" -j "$(nproc)" --target anarchy anarchy_fuzz_session anarchy_fuzz_frames anarchy_fuzz_video \
  anarchy_fuzz_session_replay anarchy_fuzz_frames_replay anarchy_fuzz_video_replay anarchy_fuzz_video_seeds
ctest --test-dir "$asan" -R '^(sanitized_|fuzz_)' --output-on-failure -j 2 --timeout 600
