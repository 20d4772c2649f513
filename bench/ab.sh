#!/usr/bin/env bash
# bench/ab.sh — two (or more) cgikitd binaries on one workload, run alternately so that drift of a
# shared machine hits them alike: req/s, p99 and the server's CPU time per request (utime + stime
# + reaped children, from /proc) for each run.
#
#   bench/ab.sh OLD_BINARY NEW_BINARY                 # static 1 KiB, Connection: close
#   PATH_=/cgi-bin/hello-musl MODE=ka bench/ab.sh OLD NEW
#
# env: PATH_ (/1k.bin), MODE (close | ka), CONNS (50), SECS (4), ROUNDS (2). Server on CPU 0 with
# the default bench command line, wrk on CPU 1. Needs wrk and taskset (bench/setup.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

(($# >= 2)) || { echo "usage: bench/ab.sh BINARY BINARY..." >&2; exit 2; }
PATH_=${PATH_:-/1k.bin}
MODE=${MODE:-close}
CONNS=${CONNS:-50}
SECS=${SECS:-4}
ROUNDS=${ROUNDS:-2}
for b in wrk taskset; do
  command -v $b >/dev/null || { echo "ab: missing $b: run bench/setup.sh" >&2; exit 1; }
done
bench_build_tools
work=$(mktemp -d /tmp/bench-ab.XXXXXX)
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
bench_fixture "$work" >/dev/null
hargs=()
[[ $MODE == close ]] && hargs=(-H "Connection: close")
ticks=$(getconf CLK_TCK)

for ((round = 1; round <= ROUNDS; round++)); do
  for bin in "$@"; do
    port=$(free_port 19900)
    cmd=$(CGIKITD=$bin cgikitd_cmd)
    cmd=${cmd//\{port\}/$port}; cmd=${cmd//\{docroot\}/$work/www}; cmd=${cmd//\{cgidir\}/$work/cgi-bin}
    taskset -c 0 $cmd > "$work/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -qs 'listening on' "$work/server.log" && break; sleep 0.1; done
    c0=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat")
    out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" "${hargs[@]}" --latency "http://127.0.0.1:$port$PATH_")
    c1=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat")
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    awk -v bin="$bin" -v round="$round" -v t=$((c1 - c0)) -v hz="$ticks" -v s="$SECS" '
      /^Requests\/sec/ { r = $2 } $1 == "99%" { p99 = $2 }
      END { printf "round %d  %-40s %9.0f req/s  p99 %-9s %7.1f us CPU/req\n", round, bin, r, p99, t / hz * 1e6 / (r * s) }' <<<"$out"
  done
done
