#!/usr/bin/env bash
# bench/cgi_idle.sh — does a CGI request cost more when the server holds many connections?
#
# For each count in COUNTS: cgikitd (one worker, pinned to CPU 0, the default bench command line)
# first gets that many keep-alive connections, each of which makes one request and then sits idle
# (fixed_load -w); then wrk, pinned to CPU 1, sends one client's CGI requests (hello-musl) for
# SECS seconds. Printed: req/s and p50 latency per count. A spawn whose cost grows with the
# server's descriptors (a child copying the whole descriptor table) shows as falling req/s.
#
# env: COUNTS ("0 2000 8000"), SECS (4), CGIKITD (the binary, default $BUILD/server/cgikitd).
# Needs wrk and taskset (bench/setup.sh) and a descriptor limit above the largest count.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

COUNTS=${COUNTS:-"0 2000 8000"}
SECS=${SECS:-4}
bench_require cgi_idle wrk taskset
bench_build_tools
[[ -x ${CGIKITD:-$BUILD/server/cgikitd} ]] || bench_build_cgikitd
max=0
for n in $COUNTS; do ((n > max)) && max=$n; done
ulimit -n $((max + 200)) 2>/dev/null || { echo "cgi_idle: descriptor limit below $((max + 200))" >&2; exit 1; }

bench_workdir cgi-idle
bench_fixture "$WORK"
[[ -x $WORK/cgi-bin/hello-musl ]] || { echo "cgi_idle: no hello-musl (musl-tools missing?)" >&2; exit 1; }

printf "%-8s %10s %10s\n" "idle" "req/s" "p50"
for n in $COUNTS; do
  port=$(free_port 19800)
  bench_start_cgikitd cgi_idle 0 "$port"
  pid=$BENCH_PID
  idle=""
  if ((n > 0)); then
    "$BIN/fixed_load" -n "$n" -c "$n" -s 1024 -w $((SECS + 30)) "127.0.0.1:$port" /1k.bin > "$WORK/idle.out" &
    idle=$!
    bench_track "$idle"
    for _ in $(seq 300); do grep -qs '^ready' "$WORK/idle.out" && break; sleep 0.1; done
  fi
  out=$(taskset -c 1 wrk -t1 -c1 -d"${SECS}s" --latency "http://127.0.0.1:$port/cgi-bin/hello-musl")
  printf "%-8s %10s %10s\n" "$n" "$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")" \
    "$(awk '$1 == "50%" { print $2 }' <<<"$out")"
  if [[ -n $idle ]]; then bench_stop "$idle"; fi
  bench_stop "$pid"
done
