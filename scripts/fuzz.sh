#!/usr/bin/env bash
# Runs the libFuzzer targets (fuzz/) under AddressSanitizer and UndefinedBehaviorSanitizer for a given time.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s; targets: session frames video)
# Builds build-fuzz/ with clang (-DANARCHY_FUZZ=ON). The session fuzzer is seeded with sessions recorded from the
# project's test programs (ANARCHY_RECORD_DIR; needs the normal build in build/, recorded once into
# build-fuzz/seeds/) and with the kept inputs in tests/data/fuzz/. New corpus entries go to build-fuzz/corpus/,
# crashing inputs to build-fuzz/crashes/<target>/: fix the bug, then copy the input to tests/data/fuzz/<target>/
# so that the fuzz_replay_* tests replay it from then on. Prints executions per second of each target.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(session frames video)
fuzz="${ANARCHY_FUZZ_BUILD_DIR:-$root/build-fuzz}"
build="${ANARCHY_BUILD_DIR:-$root/build}"

echo "[fuzz] building $fuzz (clang, ASan+UBSan, libFuzzer)"
CC=clang CXX=clang++ cmake -S "$root" -B "$fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANARCHY_FUZZ=ON >/dev/null
cmake --build "$fuzz" -j "$(nproc)" --target $(printf 'anarchy_fuzz_%s ' "${targets[@]}") anarchy_fuzz_video_seeds
# The video decoders start from streams of the real encoders.
"$fuzz/fuzz/anarchy_fuzz_video_seeds" "$fuzz/seeds/video" >/dev/null

export VK_ICD_FILENAMES="${VK_ICD_FILENAMES:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}"
export ANARCHY_LOG="${ANARCHY_LOG:-error}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

seeds="$fuzz/seeds/session"
if [[ " ${targets[*]} " == *" session "* ]] && [ ! -d "$seeds" ] && [ -x "$build/anarchy" ]; then
  echo "[fuzz] recording seed sessions from the test programs into $seeds"
  mkdir -p "$seeds.tmp"
  port=$((20000 + RANDOM % 20000))
  "$build/anarchy" serve --listen "127.0.0.1:$port" >"$fuzz/seed-server.log" 2>&1 &
  server=$!
  sleep 1
  for prog in compute transfer queries timeline ring secondary templates graphics renderpass requirements noncoherent; do
    ANARCHY_RECORD_DIR="$seeds.tmp" timeout 120 "$build/anarchy" run --server "127.0.0.1:$port" -- \
      "$build/tests/programs/anarchy_testprog" "$prog" --out "$fuzz/seed-$prog.out" >/dev/null 2>&1 ||
      echo "[fuzz] (recording $prog failed; skipped)"
  done
  kill "$server"; wait "$server" 2>/dev/null || true
  # Only the command connections: a video channel's recording holds its hello alone.
  find "$seeds.tmp" -size -200c -delete
  mv "$seeds.tmp" "$seeds"
fi

summary=()
for t in "${targets[@]}"; do
  corpus="$fuzz/corpus/$t"
  crashes="$fuzz/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  dirs=("$corpus")
  [ -d "$root/tests/data/fuzz/$t" ] && dirs+=("$root/tests/data/fuzz/$t")
  extra=()
  if [ "$t" = video ]; then
    dirs+=("$fuzz/seeds/video")
    extra=(-max_len=262144 -timeout=10)
  elif [ "$t" = session ]; then
    [ -d "$seeds" ] && dirs+=("$seeds")
    extra=(-max_len=1048576 -rss_limit_mb=4096 -timeout=60)
  else
    [ -d "$seeds" ] && dirs+=("$seeds")  # recorded sessions start with a real handshake
    extra=(-max_len=65536 -timeout=10)
  fi
  log="$fuzz/fuzz-$t.log"
  echo "[fuzz] $t: ${seconds}s, log $log"
  "$fuzz/fuzz/anarchy_fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$crashes/" \
    "${extra[@]}" "${dirs[@]}" >"$log" 2>&1 || echo "[fuzz] $t stopped with status $? (see $log)"
  runs=$(grep -h "stat::number_of_executed_units" "$log" 2>/dev/null | awk '{s+=$2} END {print s+0}')
  found=$(find "$crashes" -type f | wc -l)
  summary+=("$t: $runs executions in ${seconds}s ($((runs / seconds))/s), $found crashing inputs in $crashes")
done
printf '[fuzz] %s\n' "${summary[@]}"
