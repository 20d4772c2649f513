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
for b in wrk taskset; do
  command -v $b >/dev/null || { echo "cgi_idle: missing $b: run bench/setup.sh" >&2; exit 1; }
done
bench_build_tools
[[ -x ${CGIKITD:-$BUILD/server/cgikitd} ]] || bench_build_cgikitd
max=0
for n in $COUNTS; do ((n > max)) && max=$n; done
ulimit -n $((max + 200)) 2>/dev/null || { echo "cgi_idle: descriptor limit below $((max + 200))" >&2; exit 1; }

work=$(mktemp -d /tmp/bench-cgi-idle.XXXXXX)
pid="" idle=""
cleanup() {
  [[ -n $idle ]] && kill "$idle" 2>/dev/null || true
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
bench_fixture "$work"
[[ -x $work/cgi-bin/hello-musl ]] || { echo "cgi_idle: no hello-musl (musl-tools missing?)" >&2; exit 1; }

printf "%-8s %10s %10s\n" "idle" "req/s" "p50"
for n in $COUNTS; do
  port=$(free_port 19800)
  cmd=$(cgikitd_cmd)
  cmd=${cmd//\{port\}/$port}; cmd=${cmd//\{docroot\}/$work/www}; cmd=${cmd//\{cgidir\}/$work/cgi-bin}
  taskset -c 0 $cmd > "$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -qs 'listening on' "$work/server.log" && break; sleep 0.1; done
  if ((n > 0)); then
    "$BIN/fixed_load" -n "$n" -c "$n" -s 1024 -w $((SECS + 30)) "127.0.0.1:$port" /1k.bin > "$work/idle.out" &
    idle=$!
    for _ in $(seq 300); do grep -qs '^ready' "$work/idle.out" && break; sleep 0.1; done
  fi
  out=$(taskset -c 1 wrk -t1 -c1 -d"${SECS}s" --latency "http://127.0.0.1:$port/cgi-bin/hello-musl")
  printf "%-8s %10s %10s\n" "$n" "$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")" \
    "$(awk '$1 == "50%" { print $2 }' <<<"$out")"
  if [[ -n $idle ]]; then kill "$idle" 2>/dev/null || true; wait "$idle" 2>/dev/null || true; idle=""; fi
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
