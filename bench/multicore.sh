#!/usr/bin/env bash
# bench/multicore.sh — does a second worker cost CPU per request? (issue 6: "with 2 workers
# unpinned, CPU per request no worse than with 1").
#
# For each workload, cgikitd runs unpinned with --workers 1, then with --workers 2, and
# fixed_load (unpinned) sends exactly N requests over C keep-alive connections. The figure is the
# server's CPU time per request: utime + stime of cgikitd and of the CGI children it reaped
# (cutime + cstime), from /proc/PID/stat before and after the load. CPU time, not wall time, so
# that it stays comparable when the client shares the cores. Ratio = 2 workers / 1 worker
# (<= 1.0 meets the target).
#
# env: N_STATIC (default 400000), N_CGI (10000: fewer swing by ±10% run to run), CONNS (50), WORKLOADS ("s1k_ka cgi_ka"),
#      BUILD (cgikitd's build dir). Output: one line per workload and worker count, then the ratios.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N_STATIC=${N_STATIC:-400000}
N_CGI=${N_CGI:-10000}
CONNS=${CONNS:-50}
WORKLOADS=${WORKLOADS:-"s1k_ka cgi_ka"}

bench_build_tools
bench_build_cgikitd
work=$(mktemp -d /tmp/bench-multicore.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
bench_fixture "$work" >/dev/null

ticks=$(getconf CLK_TCK)
# utime + stime + cutime + cstime (fields 14-17 of /proc/PID/stat; the comm field has no spaces).
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }

declare -A us_per_req
for workload in $WORKLOADS; do
  case $workload in
    s1k_ka) path=/1k.bin n=$N_STATIC ;;
    cgi_ka) path=/cgi-bin/hello n=$N_CGI ;;
    *) echo "multicore: unknown workload $workload" >&2; exit 2 ;;
  esac
  for workers in 1 2; do
    port=$(free_port 18300)
    cmd=$(cgikitd_cmd)
    cmd=${cmd//--workers 1/--workers $workers}
    cmd=${cmd//\{port\}/$port}
    cmd=${cmd//\{docroot\}/$work/www}
    cmd=${cmd//\{cgidir\}/$work/cgi-bin}
    $cmd --error-log "$work/error.log" &
    server_pid=$!
    for _ in $(seq 100); do
      curl -sf -o /dev/null "http://127.0.0.1:$port$path" && break
      sleep 0.05
    done
    # Warm-up (page cache, the open-file cache, the dynamic loader's caches), not measured.
    "$BIN/fixed_load" -n $((n / 10 + 1)) -c "$CONNS" "127.0.0.1:$port" "$path" >/dev/null
    before=$(cpu_ticks "$server_pid")
    "$BIN/fixed_load" -n "$n" -c "$CONNS" "127.0.0.1:$port" "$path" > "$work/load.txt"
    after=$(cpu_ticks "$server_pid")
    kill "$server_pid"
    wait "$server_pid" || true
    server_pid=""
    us=$(awk -v d=$((after - before)) -v t="$ticks" -v n="$n" 'BEGIN { printf "%.1f", d / t * 1e6 / n }')
    us_per_req[$workload,$workers]=$us
    printf "%-8s workers=%d  %8s us CPU per request  (%s)\n" "$workload" "$workers" "$us" "$(cat "$work/load.txt")"
  done
done
for workload in $WORKLOADS; do
  awk -v w="$workload" -v a="${us_per_req[$workload,1]}" -v b="${us_per_req[$workload,2]}" \
    'BEGIN { r = b / a; printf "%-8s 2 workers / 1 worker = %.2fx CPU per request: %s\n", w, r, (r <= 1.05 ? "ok" : "MISS") }'
done
