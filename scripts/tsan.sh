#!/usr/bin/env bash
# Builds the ThreadSanitizer preset and runs the integration tests under it. Every integration
# test starts cgikitd with two or more worker threads (TestServer's default), so this is the
# multi-worker suite: shared logs, SIGHUP reopen, graceful shutdown, per-worker CGI reapers. Any
# TSan report, from the server or from the test process, fails the run: reports are written to
# files (TSAN_OPTIONS log_path) and checked afterwards, because a report in a server's stderr alone
# would not fail a test that still got its answers.
#
# Known blind spot: a CGI child is spawned with clone(CLONE_VM | CLONE_VFORK) and, until it execs,
# runs instrumented code in the spawning worker's memory and TSan thread state. A server that has
# spawned a script and is then stopped gracefully (SIGTERM, so the workers' destructors run after
# the join) gets a false "data race" report in ~Worker and exits 66; reproduced with one CGI GET
# then SIGTERM (none without the GET). TestServer stops with SIGKILL unless a test asks, and the
# tests that stop gracefully spawn no script.
#
# Usage: scripts/tsan.sh [--build-dir DIR] [--jobs N] [--all] [-- CTEST_ARGS...]
#   --build-dir  default build-tsan (the preset's directory)
#   --all        every test (unit suites too), not only the integration suite
#   CTEST_ARGS   extra ctest arguments, e.g. -- -R lifecycle
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

build_dir=build-tsan
jobs=$(nproc)
all=0
ctest_args=()
while (($#)); do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --all) all=1; shift ;;
    --) shift; ctest_args=("$@"); break ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "tsan.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $build_dir = /* ]] || build_dir=$root/$build_dir

cmake --preset tsan -B "$build_dir" >/dev/null
if ((all)); then
  cmake --build "$build_dir" -j "$jobs"
else
  cmake --build "$build_dir" -j "$jobs" --target integration_tests
  ctest_args=(-R '^integration_tests:' "${ctest_args[@]}")
fi

reports=$build_dir/tsan-reports
rm -rf "$reports"
mkdir -p "$reports"
chmod 1777 "$reports"  # a root-started cgikitd writes its reports as the unprivileged user
# halt_on_error=0: let a test finish so that every race of the run is reported, not just the first.
# die_after_fork=0: cgikitd spawns CGI children with clone(CLONE_VM | CLONE_VFORK); TSan's clone
# interceptor then runs its after-fork bookkeeping in the child, i.e. in the server's own memory,
# and flags the server as "forked while multi-threaded": its next pthread_create would die (a worker
# started after an early CGI request) and the spawning thread's accesses are ignored from then on.
# See docs/hardening.md (ThreadSanitizer) for the proposed fix; until then this keeps the run alive.
export TSAN_OPTIONS="log_path=$reports/tsan:second_deadlock_stack=1:history_size=4:halt_on_error=0:die_after_fork=0${TSAN_OPTIONS:+:$TSAN_OPTIONS}"

rc=0
ctest --test-dir "$build_dir" -j "$jobs" --output-on-failure --timeout 300 "${ctest_args[@]}" || rc=$?

found=$(find "$reports" -type f | wc -l)
if ((found > 0)); then
  echo "tsan.sh: $found ThreadSanitizer report file(s):" >&2
  for f in "$reports"/*; do
    echo "--- $f" >&2
    head -60 "$f" >&2
  done
  rc=1
else
  echo "tsan.sh: no ThreadSanitizer reports"
fi
exit $rc
