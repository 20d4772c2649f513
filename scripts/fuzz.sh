#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan: the "fuzz" preset) and runs each one for a
# bounded time on a scratch copy of its committed seed corpus, several at once. Prints executions
# and crashes per target; exits non-zero if any target crashed, leaked, timed out or ran out of
# memory, keeping the input that did it under <build dir>/crashes/<target>/.
#
# Usage: scripts/fuzz.sh [--seconds N | --long] [--jobs N] [--build-dir DIR] [--no-build] [TARGET...]
#   --seconds N   run time per target (default 20: what ./test.sh uses)
#   --long        600 s per target, for local runs
#   --jobs N      targets run at once (default: nproc)
#   --build-dir   default build-fuzz (the preset's directory)
#   TARGET        names such as connection or fuzz_connection (default: every tests/fuzz/*_fuzz.cpp)
# The seed corpora in tests/fuzz/corpus/ are never written to; use libFuzzer's -merge=1 by hand to
# add a new interesting input to them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=20
jobs=$(nproc)
build_dir=build-fuzz
build=1
targets=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --long) seconds=600; shift ;;
    --jobs) jobs=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("${1#fuzz_}"); shift ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "fuzz.sh: --seconds wants a positive integer" >&2; exit 2; }
[[ $build_dir = /* ]] || build_dir=$root/$build_dir

if ((${#targets[@]} == 0)); then
  for source in tests/fuzz/*_fuzz.cpp; do
    name=$(basename "$source" _fuzz.cpp)
    targets+=("$name")
  done
fi

if ((build)); then
  # The preset's settings, in whichever directory was asked for.
  cmake --preset fuzz -B "$build_dir" >/dev/null
  cmake --build "$build_dir" -j "$jobs" --target "${targets[@]/#/fuzz_}"
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/cgikit-fuzz-XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs one target; its libFuzzer log goes to $scratch/<name>.log.
run_target() {
  local name=$1
  local binary=$build_dir/tests/fuzz/fuzz_$name
  local corpus=$scratch/corpus/$name
  local crashes=$build_dir/crashes/fuzz_$name
  mkdir -p "$corpus" "$crashes"
  if [[ -d tests/fuzz/corpus/$name ]]; then cp -R "tests/fuzz/corpus/$name/." "$corpus/"; fi
  local dict=tests/fuzz/http.dict
  [[ -f tests/fuzz/$name.dict ]] && dict=tests/fuzz/$name.dict
  # -timeout: one input taking this long is a hang. -rss_limit_mb: a memory blow-up is a finding.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:abort_on_error=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$binary" "$corpus" -dict="$dict" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$crashes/" -print_final_stats=1 \
      >"$scratch/$name.log" 2>&1
}

missing=0
for name in "${targets[@]}"; do
  if [[ ! -x $build_dir/tests/fuzz/fuzz_$name ]]; then
    echo "fuzz.sh: no target fuzz_$name in $build_dir" >&2
    missing=1
  fi
done
((missing == 0)) || exit 2

echo "fuzz.sh: ${#targets[@]} targets, ${seconds} s each, $jobs at a time"
declare -A status_of
running=0
for name in "${targets[@]}"; do
  while ((running >= jobs)); do
    wait -n || true
    running=$((running - 1))
  done
  (run_target "$name"; echo $? >"$scratch/$name.rc") &
  pids+=($!)
  running=$((running + 1))
done
for pid in "${pids[@]}"; do wait "$pid" || true; done
pids=()

failed=0
total_execs=0
printf '%-26s %14s %10s %8s  %s\n' target executions exec/s crashes result
for name in "${targets[@]}"; do
  log=$scratch/$name.log
  rc=$(cat "$scratch/$name.rc" 2>/dev/null || echo 1)
  execs=$(grep -oE 'stat::number_of_executed_units:[[:space:]]*[0-9]+' "$log" | tail -1 | awk '{print $2}')
  rate=$(grep -oE 'stat::average_exec_per_sec:[[:space:]]*[0-9]+' "$log" | tail -1 | awk '{print $2}')
  found=$(grep -cE '^artifact_prefix=|Test unit written to' "$log" || true)
  result=ok
  if [[ $rc != 0 ]]; then
    result="FAILED (exit $rc)"
    failed=1
    found=$((found > 0 ? found : 1))
  fi
  total_execs=$((total_execs + ${execs:-0}))
  printf '%-26s %14s %10s %8s  %s\n' "fuzz_$name" "${execs:-?}" "${rate:-?}" "$found" "$result"
  if [[ $rc != 0 ]]; then
    # Keep the log next to the crashing input and show the sanitizer's report.
    cp "$log" "$build_dir/crashes/fuzz_$name/last-run.log"
    grep -E 'Test unit written to|==ERROR|SUMMARY|runtime error|connection_fuzz:' "$log" | head -8 | sed 's/^/    /'
    echo "    full log: $build_dir/crashes/fuzz_$name/last-run.log"
  fi
done
echo "fuzz.sh: $total_execs executions in total"
exit $failed
