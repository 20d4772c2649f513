#!/usr/bin/env bash
# bench/multicore_why.sh — where a second worker's extra CPU goes on static keep-alive (the
# figures of PROFILE.md "Session 4"). Needs perf (bench/setup.sh) and nginx for the second part.
#
# 1. cgikitd with --workers 1, then 2, unpinned, fixed_load -c50 sending N requests of /1k.bin:
#    perf stat on the server (task-clock, context switches, epoll_wait / recvfrom / sendto per
#    request), then, in a second run, each thread's voluntary and involuntary context switches and
#    its busy share from /proc/<pid>/task/*.
# 2. nginx with worker_processes 1, then 2 (same files, same load, anchors.sh's config:
#    bench_nginx_conf): CPU per request of the master and its workers. Skipped when nginx is not
#    installed.
#
# env: N (400000), CONNS (50), BUILD (cgikitd's build dir), NGINX_LISTEN (options appended to
#      nginx's listen directive, e.g. "reuseport"; none by default). Quiet machine only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-400000}
CONNS=${CONNS:-50}
NGINX_LISTEN=${NGINX_LISTEN:-}
bench_build_tools
bench_build_cgikitd
bench_workdir multicore-why
bench_fixture "$WORK" >/dev/null
ticks=$(getconf CLK_TCK)

# Waits for the server just started (server_pid) on port $1 and warms it up; exits if it does not
# answer.
ready_and_warm() {
  bench_wait_ready "$server_pid" "$1" ||
    { echo "multicore_why: server on port $1 did not answer: $(cat "$WORK/server.log")" >&2; exit 1; }
  "$BIN/fixed_load" -n $((N / 10 + 1)) -c "$CONNS" "127.0.0.1:$1" /1k.bin >/dev/null
}

start_cgikitd() {  # $1 = workers; sets server_pid, port
  port=$(free_port 18700)
  cmd=$(fill_placeholders "$(cgikitd_cmd)" "$port" "$WORK")
  # shellcheck disable=SC2086  # a command line, split into words
  bench_start "$WORK/server.log" - ${cmd//--workers 1/--workers $1} --error-log "$WORK/error.log"
  server_pid=$BENCH_PID
  ready_and_warm "$port"
}

# Per thread: tid, voluntary and involuntary switches, utime + stime ticks.
thread_counts() {
  for t in /proc/"$1"/task/*; do
    echo "$(basename "$t") $(awk '/^voluntary_ctxt/ { v = $2 } /^nonvoluntary_ctxt/ { n = $2 } END { print v, n }' "$t/status") $(awk '{ print $14 + $15 }' "$t/stat")"
  done
}

echo "== cgikitd: perf stat, per request"
for workers in 1 2; do
  start_cgikitd "$workers"
  perf stat -x, -o "$WORK/perf.txt" -p "$server_pid" \
    -e task-clock,context-switches,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto \
    -- "$BIN/fixed_load" -n "$N" -c "$CONNS" "127.0.0.1:$port" /1k.bin > "$WORK/load.txt"
  bench_stop "$server_pid"
  echo "workers=$workers $(cat "$WORK/load.txt")"
  awk -F, -v n="$N" '/^[0-9]/ { printf "  %-40s %10.3f per request%s\n", $3, $1 / n, ($3 == "task-clock" ? " (ms)" : "") }' "$WORK/perf.txt"
done

echo "== cgikitd: threads (voluntary switches = sleeps in epoll_wait)"
for workers in 1 2; do
  start_cgikitd "$workers"
  thread_counts "$server_pid" > "$WORK/before"
  start=$(date +%s.%N)
  "$BIN/fixed_load" -n "$N" -c "$CONNS" "127.0.0.1:$port" /1k.bin > "$WORK/load.txt"
  end=$(date +%s.%N)
  thread_counts "$server_pid" > "$WORK/after"
  bench_stop "$server_pid"
  echo "workers=$workers $(cat "$WORK/load.txt")"
  join "$WORK/before" "$WORK/after" | awk -v t="$ticks" -v a="$start" -v b="$end" \
    'BEGIN { s = b - a } $7 > $4 { printf "  thread %s: %d voluntary, %d involuntary switches, busy %.0f %%\n", $1, $5 - $2, $6 - $3, ($7 - $4) / t / s * 100 }'
done

if ! command -v nginx >/dev/null; then
  echo "== nginx: not installed, skipped"
  exit 0
fi
echo "== nginx: CPU per request, master and workers"
for workers in 1 2; do
  port=$(free_port 18700)
  d=$WORK/nginx$workers
  mkdir -p "$d"
  chmod 755 "$d"
  bench_nginx_conf "$d" "$port" "$WORK/www" "$workers" "$NGINX_LISTEN"
  bench_start "$WORK/server.log" - nginx -p "$d" -c "$d/nginx.conf"
  server_pid=$BENCH_PID
  ready_and_warm "$port"
  cpu() { local s=0 p; for p in "$server_pid" $(pgrep -P "$server_pid"); do s=$((s + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$s"; }
  before=$(cpu)
  "$BIN/fixed_load" -n "$N" -c "$CONNS" "127.0.0.1:$port" /1k.bin > "$WORK/load.txt"
  after=$(cpu)
  bench_stop "$server_pid"
  awk -v d=$((after - before)) -v t="$ticks" -v n="$N" -v w="$workers" -v r="$(cat "$WORK/load.txt")" \
    'BEGIN { printf "workers=%d  %.1f us CPU per request  (%s)\n", w, d / t * 1e6 / n, r }'
done
