#!/usr/bin/env bash
# bench/spawn_floor/spawn_floor.sh — the CGI floor: what spawning a CGI program costs on this
# machine with no HTTP at all (spawn_floor.c: pipes + spawn + read to EOF + waitpid), per method
# (fork, vfork, posix_spawn) x program x workers:
#   1 worker  : pinned to CPU $CPU (as the servers in anchors.sh, whose CGI children inherit it):
#               the ceiling for a server on one core
#   2 workers : unpinned, both CPUs: the machine's ceiling
# plus fork/vfork/posix_spawn from a worker with 256 MiB of touched heap, to show how fork()
# cost grows with the parent's size (HEAVY=0 leaves that out).
#
# Programs (PROGS, names in bench/results/bin): hello (static glibc C), hello-dyn, hello.sh,
# hello-musl (if musl-gcc exists), and our own C++ example on libcgikit (cgi-bin/hello.cpp):
# hello-cgikit as the project builds it (dynamic) and hello-cgikit-static (the same, -static).
#
# Two measures per cell: spawns/s and latency (wall clock: what a server pinned there can reach;
# needs a quiet machine) and cpu_us = CPU time (user + system of the loop and all its children)
# per spawn, which stays comparable when other load shares the machine.
# env: SECS (per cell, default 3), METHODS, WORKERS ("1 2"), PROGS, CPU (0), HEAVY (1),
#      OUT (results file, default bench/results/spawn_floor-<ts>.txt)
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
SECS=${SECS:-3}
METHODS=${METHODS:-"fork vfork posix_spawn"}
WORKERS=${WORKERS:-"1 2"}
CPU=${CPU:-0}
HEAVY=${HEAVY:-1}
mkdir -p "$BENCH/results"
OUT=${OUT:-$BENCH/results/spawn_floor-$(date +%Y%m%d-%H%M%S).txt}
TMO=$(awk -v s="$SECS" 'BEGIN { printf "%d", s * 4 + 30 }')   # hard bound per cell
bench_build_tools
bench_build_examples_static

if [[ -z ${PROGS:-} ]]; then
  PROGS="hello hello-dyn hello.sh"
  for p in hello-musl hello-cgikit hello-cgikit-static; do [[ -x $BIN/$p ]] && PROGS+=" $p"; done
fi

# One cell: spawn_floor's key=value line plus cpu_us (CPU time per spawn of the whole tree).
cell() {
  local line cpu
  line=$(timeout "$TMO" /usr/bin/time -f 'cpu_s=%U+%S' -o "$OUT.time" "$BIN/spawn_floor" "$@")
  cpu=$(sed -n 's/^cpu_s=//p' "$OUT.time" | tail -1)
  awk -v line="$line" -v cpu="$cpu" 'BEGIN {
    split(cpu, c, "+"); n = 0
    if (match(line, /spawns=[0-9]+/)) n = substr(line, RSTART + 7, RLENGTH - 7)
    printf "%s cpu_us=%.0f\n", line, n ? (c[1] + c[2]) * 1e6 / n : 0 }'
}

{
  echo "# spawn_floor $(date -Is) $(uname -r) $(nproc) cpus, loadavg $(cut -d' ' -f1-3 /proc/loadavg), $(taskset -c "$CPU" "$BIN/spawn_floor" -C), SECS=$SECS"
  echo "# $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(grep -qw hypervisor /proc/cpuinfo && echo 'under a hypervisor' || echo 'bare metal?')"
  for prog in $PROGS; do
    for m in $METHODS; do
      for w in $WORKERS; do
        if [[ $w == 1 ]]; then cell -m "$m" -w 1 -c "$CPU" -d "$SECS" "$BIN/$prog"
        else cell -m "$m" -w "$w" -d "$SECS" "$BIN/$prog"; fi
      done
    done
  done
  if [[ $HEAVY == 1 ]]; then
    for m in $METHODS; do cell -m "$m" -w 1 -c "$CPU" -r 256 -d "$SECS" "$BIN/hello"; done
  fi
} | tee "$OUT.raw"
rm -f "$OUT.time"

# Compact table from the key=value lines.
awk '/^#/ { print; next }
     !hdr++ { printf "%-20s %-12s %2s %4s %7s %9s %8s %8s %8s %7s\n", "prog", "method", "w", "cpu", "rss_MiB", "spawns/s", "mean_us", "p50_us", "p99_us", "cpu_us" }
     { delete kv; for (i = 1; i <= NF; i++) { split($i, a, "="); kv[a[1]] = a[2] }
       sub(".*/", "", kv["prog"])
       printf "%-20s %-12s %2s %4s %7s %9s %8s %8s %8s %7s\n", kv["prog"], kv["method"], kv["workers"],
              kv["cpu"] == -1 ? "any" : kv["cpu"], kv["rss_mib"], kv["spawns_per_s"], kv["mean_us"], kv["p50_us"], kv["p99_us"], kv["cpu_us"] }' \
  "$OUT.raw" | tee "$OUT"
rm -f "$OUT.raw"
