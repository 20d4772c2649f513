#!/usr/bin/env bash
# bench/multicore_why.sh — where a second worker's extra CPU goes on static keep-alive (the
# figures of PROFILE.md "Session 4"). Needs perf (bench/setup.sh) and nginx for the second part.
#
# 1. cgikitd with --workers 1, then 2, unpinned, fixed_load -c50 sending N requests of /1k.bin:
#    perf stat on the server (task-clock, context switches, epoll_wait / recvfrom / sendto per
#    request), then, in a second run, each thread's voluntary and involuntary context switches and
#    its busy share from /proc/<pid>/task/*.
# 2. nginx with worker_processes 1, then 2 (same files, same load): CPU per request of the master
#    and its workers. Skipped when nginx is not installed.
#
# env: N (400000), CONNS (50), BUILD (cgikitd's build dir). Quiet machine only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-400000}
CONNS=${CONNS:-50}
bench_build_tools
bench_build_cgikitd
work=$(mktemp -d /tmp/bench-multicore-why.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
bench_fixture "$work" >/dev/null
ticks=$(getconf CLK_TCK)

wait_ready() {
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$1/1k.bin" && return 0
    sleep 0.05
  done
  echo "multicore_why: server on port $1 did not answer" >&2
  exit 1
}

start_cgikitd() {  # $1 = workers; sets server_pid, port
  port=$(free_port 18700)
  cmd=$(cgikitd_cmd)
  cmd=${cmd//--workers 1/--workers $1}
  cmd=${cmd//\{port\}/$port}
  cmd=${cmd//\{docroot\}/$work/www}
  cmd=${cmd//\{cgidir\}/$work/cgi-bin}
  $cmd --error-log "$work/error.log" &
  server_pid=$!
  wait_ready "$port"
  "$BIN/fixed_load" -n $((N / 10 + 1)) -c "$CONNS" "127.0.0.1:$port" /1k.bin >/dev/null  # warm-up
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=""
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
  perf stat -x, -o "$work/perf.txt" -p "$server_pid" \
    -e task-clock,context-switches,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto \
    -- "$BIN/fixed_load" -n "$N" -c "$CONNS" "127.0.0.1:$port" /1k.bin > "$work/load.txt"
  stop_server
  echo "workers=$workers $(cat "$work/load.txt")"
  awk -F, -v n="$N" '/^[0-9]/ { printf "  %-40s %10.3f per request%s\n", $3, $1 / n, ($3 == "task-clock" ? " (ms)" : "") }' "$work/perf.txt"
done

echo "== cgikitd: threads (voluntary switches = sleeps in epoll_wait)"
for workers in 1 2; do
  start_cgikitd "$workers"
  thread_counts "$server_pid" > "$work/before"
  start=$(date +%s.%N)
  "$BIN/fixed_load" -n "$N" -c "$CONNS" "127.0.0.1:$port" /1k.bin > "$work/load.txt"
  end=$(date +%s.%N)
  thread_counts "$server_pid" > "$work/after"
  stop_server
  echo "workers=$workers $(cat "$work/load.txt")"
  join "$work/before" "$work/after" | awk -v t="$ticks" -v a="$start" -v b="$end" \
    'BEGIN { s = b - a } $7 > $4 { printf "  thread %s: %d voluntary, %d involuntary switches, busy %.0f %%\n", $1, $5 - $2, $6 - $3, ($7 - $4) / t / s * 100 }'
done

if ! command -v nginx >/dev/null; then
  echo "== nginx: not installed, skipped"
  exit 0
fi
echo "== nginx: CPU per request, master and workers"
for workers in 1 2; do
  port=$(free_port 18700)
  d=$work/nginx$workers
  mkdir -p "$d"
  chmod 755 "$d"
  cat > "$d/nginx.conf" <<EOC
worker_processes $workers;
daemon off;
master_process on;
user www-data www-data;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
    types { application/octet-stream bin; }
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    server { listen 127.0.0.1:$port; root $work/www; location / { } }
}
EOC
  nginx -p "$d" -c "$d/nginx.conf" &
  server_pid=$!
  wait_ready "$port"
  "$BIN/fixed_load" -n $((N / 10 + 1)) -c "$CONNS" "127.0.0.1:$port" /1k.bin >/dev/null
  cpu() { local s=0 p; for p in "$server_pid" $(pgrep -P "$server_pid"); do s=$((s + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$s"; }
  before=$(cpu)
  "$BIN/fixed_load" -n "$N" -c "$CONNS" "127.0.0.1:$port" /1k.bin > "$work/load.txt"
  after=$(cpu)
  stop_server
  awk -v d=$((after - before)) -v t="$ticks" -v n="$N" -v w="$workers" -v r="$(cat "$work/load.txt")" \
    'BEGIN { printf "workers=%d  %.1f us CPU per request  (%s)\n", w, d / t * 1e6 / n, r }'
done
