#!/usr/bin/env bash
# Packs what a benchmark run on another Linux machine (the device machine) needs into one folder: the stripped
# anarchy binaries and benchmarks, every shared library they load that is not the C library itself, the
# lavapipe-free Vulkan loader, and the bench scripts. On the other machine:
#   tar xJf kit.tar.xz; export LD_LIBRARY_PATH=$PWD/kit/lib; kit/anarchy serve ...
# Usage: [ANARCHY_FUZZ_DIR=build-asan/fuzz] [SYMBOLS=1] [PERF=1] bench/device_kit.sh BUILD_DIR OUT_DIR
# SYMBOLS=1 keeps the anarchy binaries' symbol tables (debug info still goes), for perf on the other machine.
set -euo pipefail
build=${1:?build dir}
out=${2:?output dir}
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"
mkdir -p "$out/kit/lib" "$out/kit/bench"
bins=("$build/anarchy" "$build/libanarchy_vulkan.so" "$build/tests/programs/anarchy_testprog" "$build/src/demo/anarchy_demo_scene")
for b in "$build"/bench/anarchy_*; do [ -x "$b" ] && bins+=("$b"); done
# vulkaninfo (Debian's vulkan-tools) for bench/extension_report.py.
command -v vulkaninfo >/dev/null && bins+=("$(command -v vulkaninfo)")
for b in "${bins[@]}"; do
  [ -e "$b" ] || continue
  cp "$b" "$out/kit/"
  if [ "${SYMBOLS:-0}" = 1 ]; then
    strip --strip-debug "$out/kit/$(basename "$b")"
  else
    strip --strip-unneeded "$out/kit/$(basename "$b")"
  fi
done
# Shared libraries: everything ldd resolves except the C runtime (the other machine has its own, newer one).
for b in "${bins[@]}"; do
  [ -e "$b" ] || continue
  ldd "$b" | awk '/=> \//{print $3}'
done | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libgcc_s.so*) continue ;;
  esac
  cp -L "$lib" "$out/kit/lib/"
  strip --strip-unneeded "$out/kit/lib/$(basename "$lib")" 2>/dev/null || true
done
# The libFuzzer targets of a sanitizer build (ANARCHY_FUZZ_DIR=build-asan/fuzz), for bench/device_fuzz.sh: their
# libraries are the anarchy binaries' (the sanitizer runtime is linked in); symbols stay for the crash reports.
if [ -n "${ANARCHY_FUZZ_DIR:-}" ]; then
  mkdir -p "$out/kit/fuzz"
  for t in session frames video video_seeds; do
    [ -e "$ANARCHY_FUZZ_DIR/anarchy_fuzz_$t" ] || continue
    cp "$ANARCHY_FUZZ_DIR/anarchy_fuzz_$t" "$out/kit/fuzz/"
    strip --strip-debug "$out/kit/fuzz/anarchy_fuzz_$t"
  done
fi
# The validation layer (Debian's vulkan-validationlayers), for bench/device_validate.sh: found through VK_LAYER_PATH.
layer=/usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so
if [ -e "$layer" ]; then
  mkdir -p "$out/kit/vl"
  cp "$layer" "$out/kit/vl/" && strip --strip-unneeded "$out/kit/vl/$(basename "$layer")"
  sed 's#"library_path": "[^"]*"#"library_path": "./libVkLayer_khronos_validation.so"#' \
    /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json > "$out/kit/vl/VkLayer_khronos_validation.json"
fi
cp "$root"/bench/*.py "$root"/tests/integration/harness.py "$out/kit/bench/" 2>/dev/null || true
cp "$build/generated/vk_schema_autogen.cpp" "$out/kit/bench/" 2>/dev/null || true
sed "s#\"library_path\": \"[^\"]*\"#\"library_path\": \"./libanarchy_vulkan.so\"#" "$build/anarchy_icd.json" > "$out/kit/anarchy_icd.json"
tar -C "$out" -cf - kit | xz -T2 -6 > "$out/kit.tar.xz"
rm -rf "$out/kit"
du -h "$out/kit.tar.xz"
# PERF=1: Debian's perf and the libraries it loads (not the C runtime), for bench/device_perf.sh.
if [ "${PERF:-0}" = 1 ]; then
  mkdir -p "$out/p/lib"
  cp "$(command -v perf)" "$out/p/"
  ldd "$(command -v perf)" | awk '/=> \//{print $3}' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libgcc_s.so*) continue ;;
    esac
    cp -L "$lib" "$out/p/lib/" && strip --strip-unneeded "$out/p/lib/$(basename "$lib")" 2>/dev/null || true
  done
  tar -C "$out" -cf - p | xz -T2 -6 > "$out/perf.tar.xz"
  rm -rf "$out/p"
  du -h "$out/perf.tar.xz"
fi
