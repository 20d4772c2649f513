#!/usr/bin/env bash
# bench/anchors.sh — cgikitd beside nginx, lighttpd and apache: static files and CGI, peer by peer.
#
# Each server is started by hand, in the foreground, from a minimal config written into a mktemp
# dir, listening on 127.0.0.1 only, serving the same docroot (1k.bin, 64k.bin, 1m.bin: random
# bytes) and the same cgi-bin (bench/cgi programs). Access logs are OFF for every peer; error logs
# go to the temp dir. Workers run as www-data (cgikitd: as nobody). The server (and so every CGI
# child it spawns) is pinned to CPU $SERVER_CPU, wrk to CPU $CLIENT_CPU (taskset).
#
# Peers (PEERS; a peer whose binary is missing is skipped with a note):
#   nginx    static only (no CGI); worker_processes 1, sendfile on
#   lighttpd static + mod_cgi; one process (lighttpd's default)
#   apache   mpm_event + mod_cgid: one process x 64 threads (ServerLimit 1),
#            EnableSendfile On, MaxKeepAliveRequests 0.  (With 2 x 25 or 2 x 32
#            threads, event closes keep-alive connections whenever all threads
#            of one process are busy, and wrk logs read errors at -c50.)
#   floor    bench/static_floor: recv + send of a prepared 1 KiB response per request and
#            nothing else, the least any server pays on s1k_ka here (not in the default list;
#            it answers s1k_ka only, every other workload is n/a)
#   cgikitd  $CGIKITD_CMD, by default (bench/lib.sh):
#              build/server/cgikitd --listen 127.0.0.1:{port} --root {docroot}
#                --cgi-bin /cgi-bin/={cgidir} --workers 1 --access-log off
#            placeholders: {port} {docroot} {cgidir} {workdir} (a scratch dir for its logs).
#            BUILD=dir picks another build directory; it is built (Release) if missing.
#   keep-alive request limits are raised on the peers so that none closes connections mid-run.
#
# Workloads (WORKLOADS; wrk -t1, -c$CONNS unless noted, $DURATION s each after a
# $WARMUP s warm-up that is not recorded; WARMUP=0 skips it):
#   s1k_ka      GET /1k.bin, keep-alive
#   s1k_close   GET /1k.bin with "Connection: close" (a new TCP connection per request)
#   s64k_ka     GET /64k.bin, keep-alive (MiB/s)
#   s1m_ka      GET /1m.bin, keep-alive (MiB/s)
#   cgi_ka      GET /cgi-bin/hello (static glibc CGI), keep-alive
#   cgi_c1      GET /cgi-bin/hello with -c1: latency p50/p99 of one client
#   cgimusl_ka  GET /cgi-bin/hello-musl (static musl CGI, no glibc start-up;
#               only if musl-gcc built it), keep-alive
#   cgicxx_ka   GET /cgi-bin/hello-cgikit (cgi-bin/hello.cpp on libcgikit), keep-alive; not in
#               the default list
# Before a workload, one curl request checks the response (status, size, body);
# a peer that fails the check gets "n/a" for that workload, not a number.
#
# Other knobs (env): PEERS (default "nginx lighttpd apache cgikitd"), WORKLOADS (default: all
#   above but cgicxx_ka), PASSES (default 2: every peer, every workload, then again), DURATION
#   (10), WARMUP (2), CONNS (50), SERVER_CPU (0), CLIENT_CPU (1), BASE_PORT (18080), RESULTS
#   (output dir, default bench/results/anchors-<timestamp>).
# Output: $RESULTS/anchors.csv (every run), $RESULTS/wrk/*.txt (wrk's own
#   output), $RESULTS/table.txt (the summary printed at the end), server logs.
#   Per run: req/s, MiB/s, latency p50/p90/p99/max (wrk --latency), socket
#   errors and non-2xx count, busy % of the server CPU and of the wrk CPU,
#   srv_cpu_us_per_req = busy time of the server CPU per request (server + its
#   CGI children + kernel work on that CPU: comparable across peers, whatever
#   their process model), and nprocs / summed VmRSS / summed PSS of the server's
#   process tree 0.5 s after the run (/proc/PID/status, smaps_rollup).
#   In the summary, "c" marks a cell where wrk's CPU was >= 95% busy: the
#   client, not the server, was the limit (a lower bound for the server).
#   Everything else on the machine counts against the server CPU: run it on a quiet machine.
# Needs: bench/setup.sh done once (root: the peers switch to www-data).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
HERE=$BENCH
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-50}
PASSES=${PASSES:-2}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BASE_PORT=${BASE_PORT:-18080}
OURS_NAME=cgikitd
OURS_CMD=${CGIKITD_CMD:-$(cgikitd_cmd)}
PEERS=${PEERS:-"nginx lighttpd apache cgikitd"}
WORKLOADS=${WORKLOADS:-"s1k_ka s1k_close s64k_ka s1m_ka cgi_ka cgi_c1 cgimusl_ka"}
RESULTS=${RESULTS:-$HERE/results/anchors-$(date +%Y%m%d-%H%M%S)}
CLK_TCK=$(getconf CLK_TCK)

bench_require anchors wrk taskset curl ss
bench_build_tools
if [[ " $PEERS " == *" cgikitd "* && -z ${CGIKITD_CMD:-} ]]; then bench_build_cgikitd; fi
# Peers that are not installed are left out (noted), so that a partial setup still runs.
available=()
for peer in $PEERS; do
  case $peer in
  nginx | lighttpd) bin=$peer ;;
  apache) bin=apache2 ;;
  *) bin="" ;;
  esac
  if [[ -n $bin ]] && ! command -v "$bin" >/dev/null; then
    echo "note: $peer is not installed (bench/setup.sh); left out" >&2
    continue
  fi
  available+=("$peer")
done
PEERS=${available[*]}
mkdir -p "$RESULTS/wrk" "$RESULTS/logs"

# ---------------------------------------------------------------- the fixture
keep_logs() {                            # the servers' logs, after they have stopped
  local d n f
  for d in "$WORK"/*/; do
    n=$(basename "$d"); [[ $n == www || $n == cgi-bin ]] && continue
    for f in "$d"/*.log; do [[ -e $f ]] && cp "$f" "$RESULTS/logs/$n-$(basename "$f")"; done
  done
}
bench_workdir anchors keep_logs          # its EXIT trap stops the server still running, if any
trap 'exit 130' INT TERM
bench_fixture "$WORK"

SERVER_PID=""

# ------------------------------------------------------- process-tree helpers
mem_kib() {                              # "nprocs rss_kib pss_kib" of the tree
  local n=0 rss=0 pss=0 p v
  for p in $(tree_pids "$1"); do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
    [[ -n $v ]] || continue
    n=$((n + 1)); rss=$((rss + v))
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    pss=$((pss + ${v:-0}))
  done
  echo "$n $rss $pss"
}
cpu_snap() { awk -v a="cpu$SERVER_CPU" -v b="cpu$CLIENT_CPU" '$1 == a || $1 == b {
  busy = $2 + $3 + $4 + $7 + $8; printf "%d %d ", busy, busy + $5 + $6 + $9 }' /proc/stat; }
busy_pct() {                             # two cpu_snap outputs -> "srv% cli% srv_busy_jiffies"
  read -r s1b s1t c1b c1t <<<"$1"; read -r s2b s2t c2b c2t <<<"$2"
  awk -v sb=$((s2b - s1b)) -v st=$((s2t - s1t)) -v cb=$((c2b - c1b)) -v ct=$((c2t - c1t)) \
    'BEGIN { printf "%.0f %.0f %d", st ? 100 * sb / st : 0, ct ? 100 * cb / ct : 0, sb }'
}

# ------------------------------------------------------------ peers' configs
start_server() {                         # $1 = peer, $2 = port; sets SERVER_PID
  local peer=$1 port=$2 d="$WORK/$1"
  mkdir -p "$d"; chmod 755 "$d"
  local -a cmd
  case $peer in
  nginx)
    bench_nginx_conf "$d" "$port" "$WORK/www" 1
    cmd=(nginx -p "$d" -c "$d/nginx.conf") ;;
  lighttpd)
    cat > "$d/lighttpd.conf" <<EOF
server.document-root = "$WORK/www"
server.bind = "127.0.0.1"
server.port = $port
server.username = "www-data"
server.groupname = "www-data"
server.errorlog = "$d/error.log"
server.max-keep-alive-requests = 65535
server.max-keep-alive-idle = 30
server.max-fds = 4096
server.modules = ( "mod_alias", "mod_cgi" )
mimetype.assign = ( ".bin" => "application/octet-stream", ".html" => "text/html" )
alias.url = ( "/cgi-bin/" => "$WORK/cgi-bin/" )
\$HTTP["url"] =~ "^/cgi-bin/" { cgi.assign = ( "" => "" ) }
EOF
    # lighttpd opens its error log after dropping privileges
    touch "$d/error.log"; chown www-data:www-data "$d/error.log"
    cmd=(lighttpd -D -f "$d/lighttpd.conf") ;;
  apache)
    local m=/usr/lib/apache2/modules
    cat > "$d/apache2.conf" <<EOF
ServerRoot "$d"
Listen 127.0.0.1:$port
ServerName 127.0.0.1
PidFile $d/httpd.pid
DefaultRuntimeDir $d
ErrorLog $d/error.log
LogLevel warn
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule mime_module $m/mod_mime.so
LoadModule dir_module $m/mod_dir.so
LoadModule alias_module $m/mod_alias.so
LoadModule cgid_module $m/mod_cgid.so
User www-data
Group www-data
StartServers 1
ServerLimit 1
ThreadLimit 64
ThreadsPerChild 64
MinSpareThreads 8
MaxSpareThreads 64
MaxRequestWorkers 64
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
EnableSendfile On
EnableMMAP On
TypesConfig /etc/mime.types
ScriptSock $d/cgid.sock
DocumentRoot "$WORK/www"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$WORK/www">
    Options None
    AllowOverride None
    Require all granted
</Directory>
ScriptAlias /cgi-bin/ "$WORK/cgi-bin/"
<Directory "$WORK/cgi-bin">
    Options None
    AllowOverride None
    Require all granted
</Directory>
EOF
    cmd=(apache2 -DFOREGROUND -d "$d" -f "$d/apache2.conf") ;;
  floor)
    cmd=("$BIN/static_floor" "$port" "$WORK/www/1k.bin") ;;
  "$OURS_NAME")
    [[ -n ${OURS_CMD:-} ]] || { echo "peer $peer needs OURS_CMD" >&2; return 1; }
    local c
    c=$(fill_placeholders "$OURS_CMD" "$port" "$WORK" "$d")
    echo "$c" > "$d/cmdline"
    cmd=(bash -c "exec $c") ;;
  *) echo "unknown peer $peer" >&2; return 1 ;;
  esac
  bench_start "$d/server.log" "$SERVER_CPU" "${cmd[@]}"
  SERVER_PID=$BENCH_PID
  local ready=0
  bench_wait_ready "$SERVER_PID" "$port" /1k.bin || ready=$?
  if ((ready == 1)); then
    { echo "$peer died at start-up:"; tail -5 "$d/server.log" "$d/error.log" 2>/dev/null; } >&2
    stop_server
    return 1
  fi
  ((ready == 0)) || echo "  warning: $peer did not answer GET /1k.bin with 200 within 10 s" >&2
  # Safety: every listening socket of the server tree must be on 127.0.0.1.
  local pids re bad
  pids=$(tree_pids "$SERVER_PID" | paste -sd'|')
  re="pid=($pids),"
  bad=$(ss -Hltnp | grep -E "$re" | awk '$4 !~ /^127\./' || true)
  if [[ -n $bad ]]; then echo "$peer listens beyond loopback, stopping it: $bad" >&2; stop_server; exit 1; fi
}

stop_server() {                          # SIGTERM the server, then SIGKILL stragglers, by PID
  bench_stop "$SERVER_PID"
  SERVER_PID=""
}

# ------------------------------------------------------------------ workloads
# name -> "path conns header check"; check: size in bytes, or body text
workload_def() {
  case $1 in
  s1k_ka)     echo "/1k.bin $CONNS - 1024" ;;
  s1k_close)  echo "/1k.bin $CONNS close 1024" ;;
  s64k_ka)    echo "/64k.bin $CONNS - 65536" ;;
  s1m_ka)     echo "/1m.bin $CONNS - 1048576" ;;
  cgi_ka)     echo "/cgi-bin/hello $CONNS - hello" ;;
  cgi_c1)     echo "/cgi-bin/hello 1 - hello" ;;
  cgimusl_ka) echo "/cgi-bin/hello-musl $CONNS - hello" ;;
  cgicxx_ka)  echo "/cgi-bin/hello-cgikit $CONNS - Hello,_world!" ;;
  *) return 1 ;;
  esac
}
peer_has_cgi() { [[ $1 == lighttpd || $1 == apache || $1 == "$OURS_NAME" ]]; }

check_response() {                       # $1 url, $2 expected size or body text (_ for spaces)
  local out code size
  out=$(curl -s -m 5 -o "$WORK/check.body" -w '%{http_code} %{size_download}' "$1") || return 1
  read -r code size <<<"$out"
  [[ $code == 200 ]] || return 1
  if [[ $2 =~ ^[0-9]+$ ]]; then [[ $size == "$2" ]]; else [[ $(cat "$WORK/check.body") == "${2//_/ }" ]]; fi
}

CSV="$RESULTS/anchors.csv"
echo "pass,peer,workload,conns,req_s,mib_s,lat_p50_ms,lat_p90_ms,lat_p99_ms,lat_max_ms,errors,non2xx,srv_cpu_pct,cli_cpu_pct,srv_cpu_us_per_req,nprocs,rss_kib,pss_kib,loadavg1" > "$CSV"

run_workload() {                         # $1 pass, $2 peer, $3 port, $4 workload
  local pass=$1 peer=$2 port=$3 wl=$4 path conns hdr check
  read -r path conns hdr check <<<"$(workload_def "$wl")"
  local url="http://127.0.0.1:$port$path" row
  local -a hargs=()
  [[ $hdr == close ]] && hargs=(-H "Connection: close")
  if [[ $path == /cgi-bin/* ]] && ! peer_has_cgi "$peer"; then
    row="n/a: no CGI"
  elif [[ $wl == cgimusl_ka && ! -x $WORK/cgi-bin/hello-musl ]]; then
    row="n/a: no hello-musl"
  elif [[ $wl == cgicxx_ka && ! -x $WORK/cgi-bin/hello-cgikit ]]; then
    row="n/a: no hello-cgikit"
  elif ! check_response "$url" "$check"; then
    row="n/a: check failed"
  fi
  if [[ -n ${row:-} ]]; then
    printf '  %-10s %s\n' "$wl" "$row"
    echo "$pass,$peer,$wl,$conns,,,,,,,,,,,,,,,$(cut -d' ' -f1 /proc/loadavg)" >> "$CSV"
    return 0
  fi
  local wrkcmd=(taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" --timeout 10s --latency -s "$HERE/wrk_report.lua" "${hargs[@]}")
  if [[ $WARMUP != 0 ]]; then
    timeout $((${WARMUP%.*} + 30)) "${wrkcmd[@]}" -d"${WARMUP}s" "$url" > /dev/null 2>&1 || true
    sleep 0.5
  fi
  local load c0 c1 out
  load=$(cut -d' ' -f1 /proc/loadavg)
  c0=$(cpu_snap)
  out="$RESULTS/wrk/p${pass}-${peer}-${wl}.txt"
  timeout $((${DURATION%.*} + 30)) "${wrkcmd[@]}" -d"${DURATION}s" "$url" > "$out" 2>&1 || echo "  wrk exited $? ($out)" >&2
  c1=$(cpu_snap)
  sleep 0.5                              # let CGI children finish before sampling memory
  local mem busy
  mem=$(mem_kib "$SERVER_PID"); busy=$(busy_pct "$c0" "$c1")
  local line
  line=$(grep '^WRKRESULT' "$out" || true)
  if [[ -z $line ]]; then echo "  $wl: no result (see $out)" >&2; return 0; fi
  local non2xx
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out"); non2xx=${non2xx:-0}
  awk -v pass="$pass" -v peer="$peer" -v wl="$wl" -v conns="$conns" -v mem="$mem" -v busy="$busy" \
      -v hz="$CLK_TCK" -v load="$load" -v non2xx="$non2xx" '
    { for (i = 2; i <= NF; i++) { split($i, a, "="); r[a[1]] = a[2] } }
    END {
      secs = r["duration_us"] / 1e6; rps = r["requests"] / secs
      errs = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
      split(mem, m, " "); split(busy, b, " ")
      cpu_us = r["requests"] ? b[3] / hz * 1e6 / r["requests"] : 0   # CPU-0 busy time per request
      printf "%s,%s,%s,%s,%.0f,%.1f,%.3f,%.3f,%.3f,%.3f,%d,%d,%s,%s,%.1f,%s,%s,%s,%s\n",
        pass, peer, wl, conns, rps, r["bytes"] / secs / 1048576,
        r["lat_p50_us"] / 1e3, r["lat_p90_us"] / 1e3, r["lat_p99_us"] / 1e3, r["lat_max_us"] / 1e3,
        errs, non2xx, b[1], b[2], cpu_us, m[1], m[2], m[3], load
    }' <<<"$line" | tee -a "$CSV" | awk -F, '{ printf "  %-10s %9s req/s %8s MiB/s  p50 %7s ms  p99 %7s ms  err %s/%s  cpu srv %s%% cli %s%%  %s us/req  rss %d KiB (%s procs)\n",
        $3, $5, $6, $7, $9, $11, $12, $13, $14, $15, $17, $16 }'
}

# ------------------------------------------------------------------------ run
{
  echo "# anchors $(date -Is) on $(uname -n) $(uname -r), $(nproc) cpus; server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU"
  echo "# $(nginx -v 2>&1) | $(lighttpd -v 2>&1 | head -1) | $(apache2 -v | head -1) | $(wrk -v 2>&1 | head -1)"
  echo "# PEERS=$PEERS WORKLOADS=$WORKLOADS PASSES=$PASSES DURATION=$DURATION WARMUP=$WARMUP CONNS=$CONNS"
  echo "# cgikitd: $OURS_CMD"
} | tee "$RESULTS/header.txt"

port=$(free_port "$BASE_PORT")
for pass in $(seq "$PASSES"); do
  for peer in $PEERS; do
    port=$(free_port "$port")
    echo "== pass $pass: $peer on 127.0.0.1:$port (loadavg $(cut -d' ' -f1-3 /proc/loadavg))"
    if ! start_server "$peer" "$port"; then echo "  $peer did not start; skipped" >&2; continue; fi
    for wl in $WORKLOADS; do run_workload "$pass" "$peer" "$port" "$wl"; done
    stop_server
    port=$((port + 1))
  done
done

# -------------------------------------------------------------------- summary
# Mean over passes; "±" is half the min-max range across passes, in % of the mean.
{
  cat "$RESULTS/header.txt"
  echo
  echo "req/s (MiB/s for the 64k/1m rows) — mean of $PASSES pass(es) ±half-range%; p99 ms = worst pass"
  awk -F, -v peers="$PEERS" -v wls="$WORKLOADS" '
    NR == 1 { next }
    $5 != "" { k = $2 SUBSEP $3; n[k]++; rps[k] += $5; mib[k] += $6
               if (!(k in lo) || $5 < lo[k]) lo[k] = $5; if ($5 > hi[k]) hi[k] = $5
               if ($9 > p99[k]) p99[k] = $9; if ($16 + 0 > 0) rss[$2] = $17
               if ($17 > rssmax[$2]) rssmax[$2] = $17; err[k] += $11 + $12
               if ($14 > climax[k]) climax[k] = $14 }
    END {
      np = split(peers, P, " "); nw = split(wls, W, " ")
      printf "%-11s", "workload"; for (i = 1; i <= np; i++) printf " | %-27s", P[i]; printf "\n"
      printf "%-11s", ""; for (i = 1; i <= np; i++) printf " | %-27s", "req/s  ±%  (MiB/s) p99ms"; printf "\n"
      for (j = 1; j <= nw; j++) {
        printf "%-11s", W[j]
        for (i = 1; i <= np; i++) {
          k = P[i] SUBSEP W[j]
          if (!(k in n)) { printf " | %-27s", "n/a"; continue }
          m = rps[k] / n[k]; spread = m ? 50 * (hi[k] - lo[k]) / m : 0
          cell = sprintf("%7.0f %3.0f", m, spread)
          if (W[j] ~ /64k|1m/) cell = cell sprintf(" (%5.0f)", mib[k] / n[k]); else cell = cell "        "
          cell = cell sprintf(" %6.2f", p99[k])
          if (climax[k] >= 95) cell = cell "c"
          if (err[k]) cell = cell "!"
          printf " | %-27s", cell
        }
        printf "\n"
      }
      printf "%-11s", "RSS MiB"
      for (i = 1; i <= np; i++) printf " | %-27s", sprintf("%.1f last, %.1f max", rss[P[i]] / 1024, rssmax[P[i]] / 1024)
      printf "\n"
      print "(c = wrk CPU >= 95% busy: client-bound; ! = wrk reported socket errors or non-2xx responses: see anchors.csv)"
    }' "$CSV"
  echo
  echo "per run (all passes): $CSV"
  column -s, -t < "$CSV"
} | tee "$RESULTS/table.txt"
