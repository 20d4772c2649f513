#!/usr/bin/env bash
# bench/run.sh — every benchmark, one table: cgikitd's ratio to nginx, lighttpd and apache.
#
#   bench/run.sh            # the full run, ~15 min: spawn floor, anchors (all peers, 2 passes),
#                           # idle connections; needs bench/setup.sh once and a quiet machine
#   bench/run.sh --table DIR  # the table again from a finished run's results (no measuring)
#   bench/run.sh --quick    # smoke test, ~15 s: 1 s per cell, lighttpd (if installed) and cgikitd,
#                           # two workloads; proves the harness and the server work, measures nothing
#
# Steps: builds cgikitd (Release, in $BUILD, default build/) and the bench programs; runs
# spawn_floor/spawn_floor.sh (the CGI floor, posix_spawn and vfork from one worker pinned to CPU 0;
# sampled again after the anchors and at the end); runs anchors.sh (every peer, every workload,
# plus bench/static_floor on s1k_ka: the least a server pays per request here); measures what 10,000 idle keep-alive connections
# cost cgikitd; prints the table and writes it to bench/results/run-<timestamp>/table.txt.
# Knobs: BUILD, PEERS, WORKLOADS, PASSES, DURATION, WARMUP, CONNS, CGIKITD_CMD (see anchors.sh),
#   IDLE_CONNS (10000; 0 skips that step).
#
# Table: one row per workload and metric, with cgikitd's value, each peer's value and the ratio
# cgikitd / peer, then the target of issue 6 where there is one and whether it is met ("ok" /
# "MISS"). Ratios above 1 are better for req/s and MiB/s, below 1 for CPU per request, latency
# and memory.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

QUICK=0
TABLE_FROM=""
while (($#)); do
  case $1 in
  --quick) QUICK=1 ;;
  --table) TABLE_FROM=$2; shift ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0 ;;
  *) echo "usage: bench/run.sh [--quick | --table RESULTS_DIR]" >&2; exit 2 ;;
  esac
  shift
done

for b in wrk taskset curl ss; do
  if ! command -v $b >/dev/null; then
    if ((QUICK)); then echo "bench: skipped ($b is not installed: run bench/setup.sh)"; exit 0; fi
    echo "bench: missing $b: run bench/setup.sh (as root)" >&2
    exit 1
  fi
done

OUT=${OUT:-$BENCH/results/run-$(date +%Y%m%d-%H%M%S)}
if [[ -n $TABLE_FROM ]]; then OUT=$TABLE_FROM; fi
mkdir -p "$OUT"
if ((QUICK)); then
  export PASSES=${PASSES:-1} DURATION=${DURATION:-1} WARMUP=${WARMUP:-0} CONNS=${CONNS:-10}
  export WORKLOADS=${WORKLOADS:-"s1k_ka cgi_ka"}
  quick_peers=cgikitd
  if command -v lighttpd >/dev/null; then quick_peers="lighttpd cgikitd"; fi
  export PEERS=${PEERS:-$quick_peers}
  IDLE_CONNS=${IDLE_CONNS:-200}
  FLOOR_SECS=0.5 FLOOR_METHODS=posix_spawn FLOOR_PROGS=hello
else
  export PEERS=${PEERS:-"nginx lighttpd apache floor cgikitd"}
  IDLE_CONNS=${IDLE_CONNS:-10000}
  FLOOR_SECS=3 FLOOR_METHODS="vfork posix_spawn" FLOOR_PROGS=""
  for p in hello hello-musl hello-cgikit hello-cgikit-static; do FLOOR_PROGS+=" $p"; done
fi

if [[ -z $TABLE_FROM ]]; then
echo "== build"
bench_build_tools
bench_build_cgikitd
bench_build_examples_static

# The floor drifts by more than our own figure does (1,540-2,180 spawns/s for the same binary on
# the same machine in one day), so it is sampled three times across the run: every program before
# the anchors, hello with posix_spawn again after them and after the idle step. The table's floor
# is the median of the three hello/posix_spawn samples.
spawn_floor() {                          # $1 = results file, $2 = METHODS, $3 = PROGS
  SECS=$FLOOR_SECS METHODS=$2 WORKERS=1 HEAVY=0 PROGS=$3 OUT="$1" \
    "$BENCH/spawn_floor/spawn_floor.sh" >/dev/null
}
floor_sample() { spawn_floor "$1" posix_spawn hello; grep '^hello ' "$1"; }

echo "== spawn floor"
spawn_floor "$OUT/spawn_floor.txt" "$FLOOR_METHODS" "$FLOOR_PROGS"
cat "$OUT/spawn_floor.txt"

echo "== anchors"
# Progress lines only; the whole output is in $OUT/anchors.log.
RESULTS="$OUT/anchors" "$BENCH/anchors.sh" 2>&1 | tee "$OUT/anchors.log" | grep -E '^(==|  [a-z0-9_]+ )' || true
[[ -f $OUT/anchors/anchors.csv ]] || { echo "bench: anchors.sh failed, see $OUT/anchors.log" >&2; exit 1; }

echo "== spawn floor, second sample"
floor_sample "$OUT/spawn_floor_2.txt"

# Idle keep-alive connections: RSS of cgikitd before and while IDLE_CONNS connections that have
# each made one request sit idle (fixed_load -w), and CGI throughput (hello-musl, one client)
# without and with them: a spawn must not cost more because the server holds many connections.
idle_line=""
if ((IDLE_CONNS > 0)); then
  echo "== $IDLE_CONNS idle keep-alive connections"
  need=$((IDLE_CONNS + 100))
  if (($(ulimit -Hn) < need)) || ! ulimit -n "$need" 2>/dev/null; then
    echo "  skipped: the descriptor limit is below $need" >&2
  else
    bench_workdir idle
    bench_fixture "$WORK"
    port=$(free_port 19700)
    bench_start_cgikitd bench - "$port" "${CGIKITD_CMD:-}"
    pid=$BENCH_PID
    "$BIN/fixed_load" -n 100 -s 1024 "127.0.0.1:$port" /1k.bin > /dev/null  # warm
    cgi_rate() {
      "$BIN/fixed_load" -n 2000 -s 6 "127.0.0.1:$port" /cgi-bin/hello-musl |
        sed -n 's/.*req_s=\([0-9.]*\).*/\1/p'
    }
    cgi0=$(cgi_rate)
    rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    fifo=$WORK/load.out
    "$BIN/fixed_load" -n "$IDLE_CONNS" -c "$IDLE_CONNS" -s 1024 -w 8 "127.0.0.1:$port" /1k.bin > "$fifo" &
    load=$!
    bench_track "$load"
    for _ in $(seq 300); do grep -qs '^ready' "$fifo" && break; sleep 0.1; done
    sleep 0.5
    rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    cgi1=$(cgi_rate)
    wait "$load" || echo "  some idle-connection requests failed: $(tail -1 "$fifo")" >&2
    bench_forget "$load"
    bench_stop "$pid"
    idle_line="idle $IDLE_CONNS $rss0 $rss1 ${cgi0:-0} ${cgi1:-0}"
    echo "$idle_line" > "$OUT/idle.txt"
    awk -v n="$IDLE_CONNS" -v a="$rss0" -v b="$rss1" 'BEGIN {
      printf "  cgikitd RSS %.1f MiB before, %.1f MiB with %d idle connections: +%.1f MiB (%.1f KiB each)\n",
             a / 1024, b / 1024, n, (b - a) / 1024, (b - a) / n }'
    echo "  CGI (hello-musl, 1 client): ${cgi0:-?} req/s with no idle connection, ${cgi1:-?} with them"
  fi
fi

echo "== spawn floor, third sample"
floor_sample "$OUT/spawn_floor_3.txt"

fi  # measurements (skipped with --table)
idle_line=$(cat "$OUT/idle.txt" 2>/dev/null || true)

# ------------------------------------------------------------------ the table
floor_samples=$(shopt -s nullglob; awk '$1 == "hello" && $2 == "posix_spawn" && $3 == 1 { print $6 }' \
  "$OUT"/spawn_floor.txt "$OUT"/spawn_floor_[23].txt | sort -n | tr '\n' ' ')
floor=$(awk '{ print $((NF + 1) / 2) }' <<<"$floor_samples")  # the median (the lower for two)
{
  cat "$OUT/anchors/header.txt"
  echo "# spawn floor (hello, posix_spawn, 1 worker on CPU 0): ${floor:-n/a} spawns/s, the median of the samples ${floor_samples:-n/a}"
  echo
  awk -F, -v peers="$PEERS" -v floor="${floor:-0}" -v idle="$idle_line" '
    NR == 1 { next }
    $5 != "" {
      k = $2 SUBSEP $3; n[k]++
      v["req_s", k] += $5; v["mib_s", k] += $6; v["cpu_us", k] += $15; v["cli", k] += $14
      if ($9 > p99[k]) p99[k] = $9
      v["p50", k] += $7
      if ($17 > 0) rss[$2] = $17
    }
    function mean(m, peer, wl,   k) { k = peer SUBSEP wl; return (k in n) ? v[m, k] / n[k] : -1 }
    function cell(x, fmt) { return x < 0 ? "n/a" : sprintf(fmt, x) }
    function value(metric, peer, wl) {
      if (metric == "rss") return (peer in rss) ? rss[peer] / 1024 : -1
      return mean(metric, peer, wl)
    }
    # One row: cgikitd, then each peer with the ratio cgikitd / peer, then the target verdict.
    # Rows where nobody has a value (workload not run) are left out.
    function row(wl, metric, label, fmt, target_peer, target_op, target_x,   i, ours, p, val, r, line, verdict, any) {
      ours = value(metric, "cgikitd", wl); any = ours >= 0
      line = sprintf("%-11s %-10s %10s", wl, label, cell(ours, fmt))
      verdict = ""
      for (i = 1; i <= np; i++) {
        p = P[i]; if (p == "cgikitd" || p == "floor") continue
        val = value(metric, p, wl); if (val >= 0) any = 1
        r = (ours > 0 && val > 0) ? ours / val : -1
        line = line sprintf(" | %10s %6s", cell(val, fmt), r < 0 ? "" : sprintf("%.2fx", r))
        if (p == target_peer && r > 0) {
          ok = (target_op == "<=") ? r <= target_x : r >= target_x
          verdict = sprintf("%s %sx %s: %s", target_op, target_x, p, ok ? "ok" : "MISS")
          # the CPU of wrk >= 95 % busy on average for both: the client set the pace, not the servers
          if (mean("cli", "cgikitd", wl) >= 95 && mean("cli", p, wl) >= 95) verdict = verdict " (client-bound)"
        }
      }
      if (any) print line "  " verdict
    }
    function floor_row(   ours, r) {
      ours = value("req_s", "cgikitd", "cgi_ka")
      if (ours <= 0 || floor <= 0) return
      r = ours / floor
      printf "%-11s %-10s %9.0f%%  of the spawn floor (%d/s); >= 90%%: %s\n", "cgi_ka", "vs floor", 100 * r, floor, (r >= 0.9 ? "ok" : "MISS")
    }
    # cgikitd against bench/static_floor (recv + send of a prepared response, nothing else): how
    # much of the CPU per request of cgikitd is its own work, and where the floor itself stands
    # against lighttpd, i.e. whether the target can be met by any server on this machine.
    function static_floor_row(   ours, fl, li) {
      ours = value("cpu_us", "cgikitd", "s1k_ka"); fl = value("cpu_us", "floor", "s1k_ka")
      li = value("cpu_us", "lighttpd", "s1k_ka")
      if (ours <= 0 || fl <= 0) return
      printf "%-11s %-10s %9.2fx  the static floor (%.1f us/req)", "s1k_ka", "vs floor", ours / fl, fl
      if (li > 0) printf "; the floor itself is %.2fx lighttpd", fl / li
      printf "\n"
    }
    END {
      np = split(peers, P, " ")
      hdr = sprintf("%-11s %-10s %10s", "workload", "metric", "cgikitd")
      for (i = 1; i <= np; i++) if (P[i] != "cgikitd" && P[i] != "floor") hdr = hdr sprintf(" | %10s %6s", P[i], "ratio")
      print hdr "  target (issue 6)"
      row("s1k_ka", "req_s", "req/s", "%.0f")
      row("s1k_ka", "cpu_us", "cpu us/req", "%.1f", "lighttpd", "<=", 0.8)
      static_floor_row()
      row("s1k_close", "req_s", "req/s", "%.0f")
      row("s1k_close", "cpu_us", "cpu us/req", "%.1f", "nginx", "<=", 0.85)
      row("s64k_ka", "mib_s", "MiB/s", "%.0f", "lighttpd", ">=", 1)
      row("s1m_ka", "mib_s", "MiB/s", "%.0f", "lighttpd", ">=", 1)
      row("cgi_ka", "req_s", "req/s", "%.0f", "lighttpd", ">=", 1.2)
      floor_row()
      row("cgi_ka", "cpu_us", "cpu us/req", "%.0f")
      row("cgi_c1", "p50", "p50 ms", "%.3f", "lighttpd", "<=", 1)
      row("cgimusl_ka", "req_s", "req/s", "%.0f", "lighttpd", ">=", 2)
      row("cgicxx_ka", "req_s", "req/s", "%.0f")
      row("memory", "rss", "RSS MiB", "%.1f", "lighttpd", "<=", 1)
      if (idle != "") {
        split(idle, a, " ")
        printf "%-11s %-10s %10s  for %d idle keep-alive connections; <= 40 MiB per 10,000: %s\n", "idle", "+RSS MiB",
          sprintf("%.1f", (a[4] - a[3]) / 1024), a[2],
          ((a[4] - a[3]) / 1024 <= 40 * a[2] / 10000 ? "ok" : "MISS")
        if (a[5] > 0 && a[6] > 0)
          printf "%-11s %-10s %10.0f  with them (%.0f with none: %.2fx); hello-musl, 1 client\n", "idle",
            "CGI req/s", a[6], a[5], a[6] / a[5]
      }
      print "(ratio = cgikitd / peer; cpu us/req = busy time of CPU 0 per request: server, CGI children"
      print " and kernel work there; RSS = the server process tree after the runs; client-bound = wrk"
      print " was >= 95 % busy in both runs, so the figure is the limit of wrk more than the servers)"
    }' "$OUT/anchors/anchors.csv"
} | tee "$OUT/table.txt"

# Multi-core: CPU per request with 2 workers against 1 (full mode only: it needs a quiet machine).
if ((!QUICK)) && [[ -z $TABLE_FROM ]]; then
  echo "== multi-core (2 workers unpinned vs 1)"
  "$BENCH/multicore.sh" | tee "$OUT/multicore.txt"
  # The table takes the ratios; multicore.txt keeps every round.
  grep "2 workers / 1 worker" "$OUT/multicore.txt" >> "$OUT/table.txt"
elif [[ -f $OUT/multicore.txt ]]; then
  grep "2 workers / 1 worker" "$OUT/multicore.txt" | tee -a "$OUT/table.txt"
fi
echo "results: $OUT"
