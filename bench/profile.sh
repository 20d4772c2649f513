#!/usr/bin/env bash
# bench/profile.sh — what one request costs cgikitd, in numbers that do not depend on the load of
# the machine: user-space instructions (valgrind --tool=callgrind), system calls (perf stat on the
# syscall tracepoints: counted in the kernel, no ptrace stops), heap allocations (malloc_count.so),
# plus the server's own CPU time (user + system, from /proc; this one moves a little with load).
#
#   bench/profile.sh                          # all workloads, all tools (~2 min on an idle machine)
#   WORKLOADS=s1k_ka TOOLS="callgrind" bench/profile.sh
#   BUILD=build-rel N=2000 bench/profile.sh   # another build dir, fewer requests
#
# Method: each measurement runs the server twice, for N and for 2N requests sent by fixed_load (a
# fixed count, one connection unless noted), and divides the difference by N: start-up,
# configuration and shut-down cancel out. The server runs with the default bench command line
# (bench/lib.sh: one worker, access log off) as user nobody when started as root (so that valgrind
# can write its output after the server drops privileges).
#
# Workloads (WORKLOADS):
#   s1k_ka      GET /1k.bin, keep-alive, 1 connection
#   s1k_close   GET /1k.bin, Connection: close (a TCP connection per request)
#   s64k_ka     GET /64k.bin, keep-alive
#   cgi_ka      GET /cgi-bin/hello (static C), keep-alive, 4 connections; not under callgrind:
#               valgrind 3.19 does not know pidfd_open, so cgikitd cannot spawn there
# Tools (TOOLS): callgrind syscalls malloc cpu
# Output: results/profile-<timestamp>/summary.txt (also printed), with the top functions by
#   instructions per request (self cost, difference of the two runs), syscalls per request by name
#   (the server's threads only: CGI children are not counted), allocations and bytes per request.
# Caveats: valgrind 3.19 does not know openat2 either, so under callgrind cgikitd takes its
#   fallback path walk (openat per component) for static files: a few hundred instructions more
#   than natively. The syscalls per request that wait for the next request (a recv that says
#   EAGAIN, epoll_wait) depend on timing: when the client's next request is already there, they
#   are skipped; the others (recv, open, fstat, send, sendfile, close) are fixed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-4000}
CGI_N=${CGI_N:-400}
WORKLOADS=${WORKLOADS:-"s1k_ka s1k_close s64k_ka cgi_ka"}
TOOLS=${TOOLS:-"callgrind syscalls malloc cpu"}
TOP=${TOP:-25}
OUT=${OUT:-$BENCH/results/profile-$(date +%Y%m%d-%H%M%S)}

for b in valgrind perf setpriv ss; do
  command -v $b >/dev/null || { echo "profile: missing $b (apt-get install valgrind linux-perf)" >&2; exit 1; }
done
# Every syscall tracepoint the kernel has, for perf stat.
SYSCALL_EVENTS=raw_syscalls:sys_enter
for e in /sys/kernel/tracing/events/syscalls/sys_enter_*; do
  [[ -e $e ]] && SYSCALL_EVENTS+=",syscalls:${e##*/}"
done
bench_build_tools
[[ -x ${CGIKITD:-$BUILD/server/cgikitd} ]] || bench_build_cgikitd
mkdir -p "$OUT"

bench_workdir profile
bench_fixture "$WORK"
mkdir -p "$WORK/out"
chmod 777 "$WORK/out"  # the tools write here as the server's user

as_server_user=()
if [[ $(id -u) == 0 ]]; then as_server_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups); fi

workload_def() {  # -> "path connections close? size"
  case $1 in
  s1k_ka)    echo "/1k.bin 1 - 1024" ;;
  s1k_close) echo "/1k.bin 1 close 1024" ;;
  s64k_ka)   echo "/64k.bin 1 - 65536" ;;
  cgi_ka)    echo "/cgi-bin/hello 4 - 6" ;;
  *) return 1 ;;
  esac
}

# run_server TOOL TAG REQUESTS WORKLOAD: starts cgikitd under TOOL, sends the requests, stops it.
run_server() {
  local tool=$1 tag=$2 n=$3 wl=$4 path conns close size port cmd log=$WORK/out/$2.log
  read -r path conns close size <<<"$(workload_def "$wl")"
  port=$(free_port 19500)
  cmd=$(fill_placeholders "$(cgikitd_cmd)" "$port" "$WORK")
  local -a pre=() env=()
  case $tool in
  callgrind) pre=(valgrind --tool=callgrind --callgrind-out-file="$WORK/out/$tag.cg") ;;
  malloc)    env=(MALLOC_COUNT_OUT="$WORK/out/$tag.mc" LD_PRELOAD="$BIN/malloc_count.so") ;;
  cpu)       ;;
  esac
  # shellcheck disable=SC2086  # a command line, split into words
  bench_start "$log" - "${as_server_user[@]}" env "${env[@]}" "${pre[@]}" $cmd
  SERVER_PID=$BENCH_PID
  bench_wait_listening "$SERVER_PID" "$log" 30 || { echo "profile: server died:" >&2; cat "$log" >&2; exit 1; }
  local -a args=(-n "$n" -c "$conns" -s "$size")
  [[ $close == close ]] && args+=(-C)
  local perf_pid=""
  if [[ $tool == cpu ]]; then local t0; t0=$(proc_cpu_ns "$SERVER_PID"); fi
  if [[ $tool == syscalls ]]; then
    # Counting mode: the kernel increments counters, the server is not stopped per syscall.
    # --no-inherit: the server's threads only, not the CGI children it spawns.
    perf stat --no-inherit -x, -e "$SYSCALL_EVENTS" -p "$SERVER_PID" -o "$WORK/out/$tag.perf" &
    perf_pid=$!
    sleep 1  # perf attaches asynchronously
  fi
  "$BIN/fixed_load" "${args[@]}" "127.0.0.1:$port" "$path" > "$WORK/out/$tag.load" ||
    { echo "profile: $wl: errors: $(cat "$WORK/out/$tag.load")" >&2; }
  if [[ $tool == cpu ]]; then echo $(( $(proc_cpu_ns "$SERVER_PID") - t0 )) > "$WORK/out/$tag.cpu"; fi
  if [[ -n $perf_pid ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  # Under valgrind the server takes a while to write its output once it has stopped.
  bench_stop "$SERVER_PID" 120
}

# CPU time (ns) of a process and all its threads so far, without its children: schedstat's
# sum_exec_runtime, which has nanosecond resolution where /proc/PID/stat has clock ticks.
proc_cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { print s }'; }

# callgrind: "function<TAB>self Ir" lines of one output file.
cg_functions() {
  callgrind_annotate --inclusive=no --threshold=100 "$1" 2>/dev/null |
    awk '/^ *[0-9,]+ +\(/ && !/PROGRAM TOTALS/ {
           ir = $1; gsub(",", "", ir); $1 = ""; $2 = ""; sub(/^ +/, "")
           sub(/ \[[^]]*\]$/, ""); sub(/^[^:]*:/, ""); sum[$0] += ir }
         END { for (f in sum) print f "\t" sum[f] }'
}
cg_total() { awk '/^totals:/ { print $2 }' "$1"; }

# malloc_count.so's line -> "allocations bytes" (reallocs count as allocations here).
mc_values() {
  awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
         print v["allocs"] + v["reallocs"], v["bytes"] }' "$1"
}

# perf stat -x, output: "syscall<TAB>count" ("TOTAL" for all of them).
syscall_counts() {
  awk -F, '$3 ~ /sys_enter/ && $1 ~ /^[0-9]+$/ {
    name = $3; sub(/.*sys_enter_?/, "", name); if (name == "") name = "TOTAL"; print name "\t" $1 }' "$1"
}

{
bin=${CGIKITD:-$BUILD/server/cgikitd}
echo "# profile $(date -Is) $(uname -r); cgikitd: $bin ($(stat -c %y "$bin" | cut -d. -f1))"
echo "# N=$N (cgi: $CGI_N) requests per run, difference of runs with N and 2N, divided by N"
} | tee "$OUT/summary.txt"

for wl in $WORKLOADS; do
  n=$N
  [[ $wl == cgi_* ]] && n=$CGI_N
  for tool in $TOOLS; do
    [[ $tool == callgrind && $wl == cgi_* ]] && continue
    run_server "$tool" "$wl-$tool-1" "$n" "$wl"
    run_server "$tool" "$wl-$tool-2" $((2 * n)) "$wl"
    a=$WORK/out/$wl-$tool-1 b=$WORK/out/$wl-$tool-2
    {
    echo
    case $tool in
    callgrind)
      cp "$b.cg" "$OUT/$wl.callgrind.out"
      echo "## $wl: instructions per request (callgrind): $(( ($(cg_total "$b.cg") - $(cg_total "$a.cg")) / n ))"
      join -t$'\t' -a2 -e0 -o 0,1.2,2.2 <(cg_functions "$a.cg" | sort -t$'\t' -k1,1) \
                                         <(cg_functions "$b.cg" | sort -t$'\t' -k1,1) |
        awk -F'\t' -v n="$n" '{ d = ($3 - $2) / n; if (d >= 5) printf "%8.0f  %s\n", d, $1 }' |
        sort -rn | sed -n "1,${TOP}p" | cut -c1-160
      ;;
    syscalls)
      echo "## $wl: system calls per request, server threads (perf stat)"
      join -t$'\t' -a2 -e0 -o 0,1.2,2.2 <(syscall_counts "$a.perf" | sort) <(syscall_counts "$b.perf" | sort) |
        awk -F'\t' -v n="$n" '{ d = ($3 - $2) / n; if (d >= 0.005 || d <= -0.005) printf "%8.2f  %s\n", d, $1 }' | sort -rn
      ;;
    malloc)
      read -r a_allocs a_bytes < <(mc_values "$a.mc")
      read -r b_allocs b_bytes < <(mc_values "$b.mc")
      awk -v n="$n" -v a="$a_allocs" -v b="$b_allocs" -v ab="$a_bytes" -v bb="$b_bytes" -v wl="$wl" \
        'BEGIN { printf "## %s: heap allocations per request: %.2f (%.0f bytes requested)\n", wl, (b - a) / n, (bb - ab) / n }'
      ;;
    cpu)
      awk -v n="$n" -v a="$(cat "$a.cpu")" -v b="$(cat "$b.cpu")" -v wl="$wl" \
        'BEGIN { printf "## %s: server CPU per request (user+sys, no children; load-sensitive): %.1f us\n", wl, (b - a) / 1e3 / n }'
      ;;
    esac
    } | tee -a "$OUT/summary.txt"
  done
done
echo
echo "summary: $OUT/summary.txt; callgrind files for callgrind_annotate / kcachegrind: $OUT/*.callgrind.out"
