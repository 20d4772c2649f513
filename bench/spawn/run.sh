#!/usr/bin/env bash
# bench/spawn/run.sh — ChildProcess::spawn (server/handlers/child_process.cpp) beside the CGI
# spawn floor (../shared/bench/spawn_floor.c, vfork and posix_spawn) for the same programs, one
# worker pinned to one CPU, interleaved in rounds so that background load hits all alike.
# Builds everything into a temp dir (nothing is written into ../shared).
#
# Two measures per cell: wall-clock spawns/s and p50 (what a server pinned to that CPU gets), and
# CPU time per spawn (user + system of the loop and all its children, from /usr/bin/time), which
# stays comparable when other load shares the CPU. The summary gives, per program and method, the
# median over rounds of each.
# env: SECS (per cell, default 3), ROUNDS (default 3), CPU (default 0), SHARED (bench dir)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
SHARED=${SHARED:-$repo/../shared/bench}
SECS=${SECS:-3}
ROUNDS=${ROUNDS:-3}
CPU=${CPU:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp -r "$SHARED/cgi" "$work/cgi"
make -s -C "$work/cgi" >/dev/null
cc -O2 -Wall -Wextra -o "$work/spawn_floor" "$SHARED/spawn_floor.c"
${CXX:-g++} -std=c++20 -O2 -Wall -Wextra -I"$repo/server" -o "$work/spawn_bench" \
    "$here/spawn_bench.cpp" "$repo/server/handlers/child_process.cpp"

# One cell: the program's key=value line plus cpu_s=<user+sys of the whole tree>.
cell() {
    local line
    line=$(/usr/bin/time -f 'cpu_s=%U+%S' -o "$work/time" timeout 60 "$@")
    echo "$line $(sed 's/+/ /' "$work/time" | awk '{ sub("cpu_s=", "", $1); printf "cpu_s=%.3f", $1 + $2 }')"
}

progs=("$work/cgi/hello" "$work/cgi/hello-dyn" "$work/cgi/hello.sh")
[[ -x $work/cgi/hello-musl ]] && progs+=("$work/cgi/hello-musl")
if [[ $(uname -m) == x86_64 ]]; then  # the spawner's own cost, without libc start-up
    cc -O2 -static -nostdlib -fno-stack-protector -o "$work/nolibc_hello" "$here/nolibc_hello.c"
    progs+=("$work/nolibc_hello")
fi
echo "# $(date -Is) $(uname -r) $(nproc) cpus, loadavg $(cut -d' ' -f1-3 /proc/loadavg), SECS=$SECS ROUNDS=$ROUNDS CPU=$CPU"
for ((round = 1; round <= ROUNDS; round++)); do
    for prog in "${progs[@]}"; do
        for m in vfork posix_spawn; do
            cell "$work/spawn_floor" -m $m -w 1 -c "$CPU" -d "$SECS" "$prog"
        done
        cell "$work/spawn_bench" -c "$CPU" -d "$SECS" "$prog"
    done
done | awk '
    function median(list,   n, a, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { delete kv; for (i = 1; i <= NF; i++) { split($i, f, "="); kv[f[1]] = f[2] }
      sub(".*/", "", kv["prog"]); key = kv["prog"] " " kv["method"]
      if (!(key in seen)) { seen[key] = 1; order[++nkeys] = key }
      cpu_us = kv["cpu_s"] * 1e6 / kv["spawns"]
      rate[key] = rate[key] " " kv["spawns_per_s"]; p50[key] = p50[key] " " kv["p50_us"]
      cpu[key] = cpu[key] " " cpu_us
      if (!hdr++) printf "%-12s %-12s %9s %8s %8s %8s %12s\n", "prog", "method", "spawns/s", "mean_us", "p50_us", "p99_us", "cpu_us/spawn"
      printf "%-12s %-12s %9s %8s %8s %8s %12.0f\n", kv["prog"], kv["method"], kv["spawns_per_s"], kv["mean_us"], kv["p50_us"], kv["p99_us"], cpu_us }
    END {
      printf "\n# median over rounds\n%-12s %-12s %9s %8s %12s\n", "prog", "method", "spawns/s", "p50_us", "cpu_us/spawn"
      for (k = 1; k <= nkeys; k++) { key = order[k]; split(key, kk, " ")
        printf "%-12s %-12s %9.0f %8.1f %12.0f\n", kk[1], kk[2], median(rate[key]), median(p50[key]), median(cpu[key]) }
    }'
