#!/usr/bin/env bash
# Bounded soak test: starts cgikitd on loopback (127.0.0.1, a free port) with a scratch docroot and
# the CGI test fixtures, drives mixed static + CGI + malformed + aborted traffic at it for a fixed
# time (bench/soak/soak_load.cpp), samples the server's open descriptors, RSS and child processes
# every few seconds, and fails on growth. Every process it starts is stopped by its PID.
#
# Usage: scripts/soak.sh [--seconds N] [--interval S] [--clients C] [--workers W]
#                        [--server PATH] [--load PATH]
#   --seconds   load duration (default 600; ./test.sh runs 30 through ctest, label "soak")
#   --interval  seconds between samples (default 5, or 2 for runs under 2 minutes)
#   --clients   concurrent client threads of the load driver (default 6)
#   --server    cgikitd to test (default build/server/cgikitd, built if missing)
#   --load      soak_load binary (default: compiled from bench/soak/soak_load.cpp with g++)
#
# Fails (exit 1) when:
#   - the load driver saw a wrong answer (status, body, framing, a refused request not closed);
#   - after the load, once idle again, the server holds more descriptors than before it (files of
#     the docroot aside: the open-file cache keeps a few by design) or still has children;
#   - a zombie child is seen in two consecutive samples (the reaper lets one linger);
#   - RSS under load at the end exceeds RSS under load after the warm-up by more than
#     max(16 MiB, 25 %): a leak of a few hundred bytes per request shows within minutes;
#   - the server does not exit 0 on SIGTERM (sanitizer builds also report leaks there).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

seconds=600
interval=
clients=6
workers=2
server=
load=
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --load) load=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "soak.sh: --seconds wants a positive integer" >&2; exit 2; }
[[ -n $interval ]] || { ((seconds < 120)) && interval=2 || interval=5; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cgikit-soak-XXXXXX")
chmod 755 "$work"
server_pid=
load_pid=
cleanup() {
  [[ -n $load_pid ]] && kill "$load_pid" 2>/dev/null || true
  [[ -n $server_pid ]] && kill -KILL "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z $server ]]; then
  server=$root/build/server/cgikitd
  if [[ ! -x $server ]]; then
    (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release --target cgikitd)
  fi
fi
if [[ -z $load ]]; then
  load=$work/soak_load
  g++ -std=c++20 -O2 -pthread "$root/bench/soak/soak_load.cpp" -o "$load"
fi

# The docroot soak_load expects; readable by the unprivileged user a root-started server becomes.
mkdir -p "$work/www"
printf '<h1>soak</h1>\n' >"$work/www/index.html"
printf 'small\n' >"$work/www/small.txt"
head -c 262144 /dev/zero | tr '\0' b >"$work/www/big.bin"
chmod -R a+rX "$work/www"

# Sanitizer builds: a small quarantine so that RSS measures the server, not ASan's free list.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=1}
"$server" --listen 127.0.0.1:0 --root "$work/www" --cgi-bin "/cgi-bin/=$root/tests/fixtures/cgi-bin" \
  --workers "$workers" --access-log off --error-log "$work/error.log" &
server_pid=$!
port=
for _ in $(seq 100); do
  if [[ -f $work/error.log ]]; then
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/error.log" | head -1)
  fi
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $port ]]; then
  echo "soak.sh: cgikitd did not start:" >&2
  cat "$work/error.log" >&2 || true
  exit 1
fi

# ---- sampling -----------------------------------------------------------------------------------
# Open descriptors, not counting files of the docroot: the static handler's open-file cache keeps a
# bounded number of those open between requests by design.
fd_count() {
  local n=0 f target
  for f in /proc/"$server_pid"/fd/*; do
    target=$(readlink "$f" 2>/dev/null) || continue
    [[ $target == "$work/www/"* ]] || n=$((n + 1))
  done
  echo "$n"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
rss_kib() { awk '/^VmRSS:/ {print $2}' /proc/"$server_pid"/status; }
# "<children> <zombie pids, comma-separated>" from /proc (no procps needed).
children() {
  local n=0 zombies= stat line rest
  for stat in /proc/[0-9]*/stat; do
    { read -r line <"$stat"; } 2>/dev/null || continue
    rest=${line##*) }
    set -- $rest
    if [[ $2 == "$server_pid" ]]; then
      n=$((n + 1))
      if [[ $1 == Z ]]; then
        local pid=${stat#/proc/}
        zombies+="${pid%/stat},"
      fi
    fi
  done
  echo "$n ${zombies:-none}"
}

failures=()
start_fds=$(fd_count)
start_rss=$(rss_kib)
echo "soak.sh: cgikitd pid $server_pid on 127.0.0.1:$port, $workers workers; load: $clients clients for $seconds s; sample every $interval s"
printf '%6s %6s %9s %9s  %s\n' t fds rss_MiB children zombies
printf '%6s %6s %9s %9s  %s\n' idle "$start_fds" "$(mib "$start_rss")" 0 none

"$load" --port "$port" --seconds "$seconds" --clients "$clients" >"$work/load.out" 2>"$work/load.err" &
load_pid=$!
begin=$(date +%s)
warmup=$((seconds / 4 < 60 ? seconds / 4 : 60))
warm_rss=
last_rss=
peak_fds=$start_fds
peak_children=0
previous_zombies=none
while kill -0 "$load_pid" 2>/dev/null; do
  sleep "$interval"
  kill -0 "$load_pid" 2>/dev/null || break
  t=$(($(date +%s) - begin))
  fds=$(fd_count)
  rss=$(rss_kib)
  read -r kids zombies < <(children)
  printf '%6s %6s %9s %9s  %s\n' "${t}s" "$fds" "$(mib "$rss")" "$kids" "$zombies"
  ((fds > peak_fds)) && peak_fds=$fds
  ((kids > peak_children)) && peak_children=$kids
  if [[ -z $warm_rss && $t -ge $warmup ]]; then warm_rss=$rss; fi
  last_rss=$rss
  if [[ $zombies != none ]]; then
    for z in ${zombies//,/ }; do
      [[ ",$previous_zombies," == *",$z,"* ]] && failures+=("zombie $z was not reaped between two samples")
    done
  fi
  previous_zombies=$zombies
done
load_rc=0
wait "$load_pid" || load_rc=$?
load_pid=
load_summary=$(cat "$work/load.out")
[[ -n $warm_rss ]] || warm_rss=$start_rss
[[ -n $last_rss ]] || last_rss=$(rss_kib)

# ---- idle again: everything must be back where it started ------------------------------------
settled=0
for _ in $(seq 100); do
  read -r kids zombies < <(children)
  if ((kids == 0)) && (($(fd_count) <= start_fds)); then settled=1; break; fi
  sleep 0.1
done
end_fds=$(fd_count)
end_rss=$(rss_kib)
read -r end_children end_zombies < <(children)
printf '%6s %6s %9s %9s  %s\n' idle "$end_fds" "$(mib "$end_rss")" "$end_children" "$end_zombies"

kill -TERM "$server_pid"
server_rc=0
for _ in $(seq 150); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then
  failures+=("cgikitd did not exit within 15 s of SIGTERM")
  kill -KILL "$server_pid" 2>/dev/null || true
fi
wait "$server_pid" || server_rc=$?
server_pid=

# ---- verdict ------------------------------------------------------------------------------------
((load_rc == 0)) || failures+=("the load driver saw wrong answers (exit $load_rc): $(head -c 600 "$work/load.err")")
((end_fds <= start_fds)) || failures+=("descriptors: $start_fds before the load, $end_fds after it")
((end_children == 0)) || failures+=("$end_children children still running after the load")
rss_slack=$((warm_rss / 4 > 16384 ? warm_rss / 4 : 16384))
((last_rss <= warm_rss + rss_slack)) ||
  failures+=("RSS grew under load: $((warm_rss / 1024)) MiB after warm-up, $((last_rss / 1024)) MiB at the end")
((server_rc == 0)) || failures+=("cgikitd exited $server_rc on SIGTERM")
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|ThreadSanitizer' "$work/error.log"; then
  failures+=("sanitizer report in the error log")
  grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:|ThreadSanitizer' "$work/error.log" | head -40 >&2
fi

echo "soak.sh: $load_summary"
echo "soak.sh: fds $start_fds -> $end_fds (peak $peak_fds under load); RSS $((start_rss / 1024)) MiB idle," \
  "$((warm_rss / 1024)) MiB after warm-up, $((last_rss / 1024)) MiB at the end of the load," \
  "$((end_rss / 1024)) MiB idle; children peak $peak_children, $end_children at the end; settled=$settled"
if ((${#failures[@]})); then
  printf 'soak.sh: FAIL: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "soak.sh: PASS"
