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
bench_require ab wrk taskset
bench_build_tools
bench_workdir ab
bench_fixture "$WORK" >/dev/null
hargs=()
[[ $MODE == close ]] && hargs=(-H "Connection: close")
ticks=$(getconf CLK_TCK)

for ((round = 1; round <= ROUNDS; round++)); do
  for bin in "$@"; do
    port=$(free_port 19900)
    bench_start_cgikitd ab 0 "$port" "$(CGIKITD=$bin cgikitd_cmd)"
    pid=$BENCH_PID
    c0=$(proc_cpu_ticks "$pid")
    out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" "${hargs[@]}" --latency "http://127.0.0.1:$port$PATH_")
    c1=$(proc_cpu_ticks "$pid")
    bench_stop "$pid"
    awk -v bin="$bin" -v round="$round" -v t=$((c1 - c0)) -v hz="$ticks" -v s="$SECS" '
      /^Requests\/sec/ { r = $2 } $1 == "99%" { p99 = $2 }
      END { printf "round %d  %-40s %9.0f req/s  p99 %-9s %7.1f us CPU/req\n", round, bin, r, p99, t / hz * 1e6 / (r * s) }' <<<"$out"
  done
done
