#!/usr/bin/env bash
# Runs the libFuzzer targets (ASan+UBSan, packed into the kit by `ANARCHY_FUZZ_DIR=... bench/device_kit.sh`) on a
# GPU host's cores, from the repository root, in libFuzzer's fork mode: the session target with the host's own
# Vulkan driver in process, the frames target through real TCP connections. Seeds: tests/data/fuzz/<target>.
#   bench/device_fuzz.sh SECONDS_PER_TARGET JOBS [TARGET...]     (targets: frames session video)
# Writes $OUT/fuzz-<target>.txt (the log's last lines and the totals) and $OUT/crashes.tar.gz (inputs that crashed).
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"
seconds=${1:-120}
jobs=${2:-$(nproc)}
shift 2 || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frames session)
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ANARCHY_LOG=error VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd
crashes=/tmp/fuzz-crashes
mkdir -p "$crashes"
for t in "${targets[@]}"; do
  corpus=/tmp/fuzz-corpus/$t
  mkdir -p "$corpus" "$crashes/$t"
  seeds=()
  [ -d "tests/data/fuzz/$t" ] && seeds+=("tests/data/fuzz/$t")
  if [ "$t" = session ]; then extra=(-max_len=1048576 -rss_limit_mb=4096 -timeout=60)
  elif [ "$t" = video ]; then
    # Streams of the real encoders, written here (fuzz/video_seeds.cpp).
    "$k/fuzz/anarchy_fuzz_video_seeds" /tmp/fuzz-seeds/video >/dev/null 2>&1
    seeds+=(/tmp/fuzz-seeds/video)
    extra=(-max_len=262144 -timeout=10)
  else extra=(-max_len=65536 -timeout=10); fi
  log=/tmp/fuzz-$t.log
  "$k/fuzz/anarchy_fuzz_$t" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$crashes/$t/" "${extra[@]}" \
    "$corpus" "${seeds[@]}" >"$log" 2>&1
  status=$?
  # Fork mode's progress lines: "#EXECS: cov: ... exec/s: N oom/timeout/crash: a/b/c time: Ts job: J".
  last=$(grep -E '^#[0-9]+:' "$log" | tail -1)
  execs=$(echo "$last" | sed -E 's/^#([0-9]+):.*/\1/')
  found=$(find "$crashes/$t" -type f | wc -l)
  {
    echo "target $t: ${execs:-0} executions in ${seconds}s on $jobs jobs (exit $status); $found crashing inputs kept"
    echo "last progress line: $last"
    grep -E "ERROR: AddressSanitizer|runtime error|SUMMARY|deadly signal|Timeout|out-of-memory" "$log" | sort | uniq -c | sort -rn | head -20
    echo "--- last 40 lines of the log"
    tail -40 "$log"
  } > "$out/fuzz-$t.txt"
  head -2 "$out/fuzz-$t.txt"
done
tar -C "$crashes" -czf "$out/crashes.tar.gz" .
exit 0
