#!/usr/bin/env bash
# Compares the four concurrency models of the example time-stamp server (server/examples) on the
# TCP echo over loopback with 1, 50 and 500 concurrent clients: throughput, latency (p50, p99)
# and the memory of the server's process tree. Not run by the tests.
#
#   bench/echo/run.sh                                    # from anywhere; ~1.5 min
#   MODELS="event fork" CLIENTS=500 DURATION=3 bench/echo/run.sh
#   BUILD=build-release SESSION=1 bench/echo/run.sh      # one message per connection
#   NICE=-19 bench/echo/run.sh                           # on a machine others are using (root)
#
# Each client connects, sends SESSION messages (default 10) one after the other, closes, and
# starts again (echo_load.cpp). The server and everything it forks run on CPU 0 and the load
# generator on CPU 1 (taskset), as in ../shared/bench; every row lasts WARMUP + DURATION seconds
# (default 1 + 5) and every process the script starts is stopped by its PID. Output: a Markdown
# table on stdout, also kept in bench/echo/results/.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

root=$REPO
build=$BUILD
models=${MODELS:-iterative threads fork event}
clients_list=${CLIENTS:-1 50 500}
session=${SESSION:-10}
warmup=${WARMUP:-1}
duration=${DURATION:-5}
# On a machine others are using, the scheduler shares each CPU among them, and the numbers say
# more about the neighbours than about the models. NICE raises the priority of everything the
# script starts. With autogrouping (/proc/sys/kernel/sched_autogroup_enabled) the kernel shares
# CPUs among sessions first and honours nice only inside one, so the script then runs in a session
# of its own and gives that session's autogroup the priority.
priority=${NICE:-0}
if [[ $priority != 0 && -w /proc/self/autogroup && -z ${ECHO_BENCH_SESSION:-} ]]; then
  ECHO_BENCH_SESSION=1 exec setsid --wait "$0" "$@"
fi
if [[ -n ${ECHO_BENCH_SESSION:-} ]]; then
  echo "$priority" >/proc/self/autogroup
fi

# ---- build: the server (Release) and the load generator over the same socket library ---------
bench_build timestamp_server cgikit_net
server_binary=$build/server/examples/timestamp_server
load_binary=$build/echo_load
g++ -std=c++20 -O2 -I "$root/server" "$root/bench/echo/echo_load.cpp" \
  "$build/server/libcgikit_net.a" -o "$load_binary"

# ---- one row: start the server, load it, stop it and all it forked ---------------------------
work=$(mktemp -d)
server_pid=
descendants() {
  local child
  for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}
stop_server() {
  [[ -n $server_pid ]] || return 0
  local pids
  pids=$(descendants "$server_pid")
  kill -TERM "$server_pid" $pids 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap 'stop_server; rm -rf "$work"' EXIT

run_row() {  # model clients -> echo_load's key=value line
  local model=$1 clients=$2 address=
  # A file per row: the shell truncates it only once the child runs, and meanwhile it must not
  # show the previous server's address.
  local announced=$work/server-$model-$clients.out
  nice -n "$priority" taskset -c 0 "$server_binary" --tcp 127.0.0.1:0 --model "$model" --max-clients 2000 \
    >"$announced" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 200); do
    address=$(awk '/^listening on/ {print $4}' "$announced" 2>/dev/null)
    [[ -n $address ]] && break
    sleep 0.05
  done
  [[ -n $address ]] || { echo "server did not start: $(cat "$work/server.err")" >&2; exit 1; }
  # The generator stops itself after warmup + duration; timeout is the safety net.
  timeout $((warmup + duration + 60)) nice -n "$priority" taskset -c 1 "$load_binary" --tcp "$address" \
    --clients "$clients" --session "$session" --warmup "$warmup" --duration "$duration" \
    --server-pid "$server_pid"
  stop_server
}

field() {  # key line -> value
  sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"
}

# ---- the table --------------------------------------------------------------------------------
mkdir -p "$root/bench/echo/results"
out=$root/bench/echo/results/echo-$(date +%Y%m%d-%H%M%S).md
{
  echo "TCP echo, loopback, $session messages per connection, ${duration} s per row after ${warmup} s warm-up;"
  echo "server on CPU 0, load generator on CPU 1, nice $priority; $(nproc) CPUs, $(uname -r);" \
    "load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| model | clients | messages/s | connections/s | p50 ms | p99 ms | server CPU % | server CPU µs / message | peak RSS MiB | PSS MiB | processes / threads | errors |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} | tee "$out"
for model in $models; do
  for clients in $clients_list; do
    line=$(run_row "$model" "$clients")
    # "c": the generator's CPU was (nearly) saturated, so the client may have been the limit.
    limit=
    (($(field generator_cpu_pct "$line") >= 95)) && limit=" c"
    printf '| %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n' \
      "$model" "$clients" "$(field messages_per_s "$line")" "$limit" \
      "$(field sessions_per_s "$line")" "$(field p50_ms "$line")" "$(field p99_ms "$line")" \
      "$(field server_cpu_pct "$line")" "$(field server_cpu_us_per_message "$line")" \
      "$(field peak_rss_mib "$line")" "$(field pss_mib "$line")" \
      "$(field peak_processes "$line")" "$(field peak_threads "$line")" "$(field errors "$line")" |
      tee -a "$out"
  done
done
{
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "c: the load generator's CPU was >= 95 % busy, so it may have been the limit."
} | tee -a "$out"
