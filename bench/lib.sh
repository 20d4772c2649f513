# shellcheck shell=bash
# bench/lib.sh — shared by the bench scripts (sourced, not run).
#
# Sets BENCH (this directory), REPO (the checkout), BUILD (cgikitd's build dir: $BUILD or build/),
# BIN (where the bench's own programs are built: bench/results/bin) and provides:
#   bench_build_tools     builds fixed_load, malloc_count.so, spawn_floor, static_floor and the CGI
#                         programs of cgi/
#   bench_build TARGET... builds TARGETs in $BUILD (configured as Release if new)
#   bench_build_cgikitd   builds cgikitd and the C++ example hello (Release) if missing
#   bench_build_examples_static  $BIN/hello-cgikit (the project's cgi-bin/hello) and
#                         $BIN/hello-cgikit-static (the same source and library, linked -static)
#   bench_fixture DIR     docroot DIR/www (1k.bin, 64k.bin, 1m.bin, index.html) and DIR/cgi-bin
#   bench_require NAME TOOL...  exits unless every TOOL is installed
#   free_port PORT        the first port >= PORT that nothing listens on
#   cgikitd_cmd           the default cgikitd command line, with {port} {docroot} {cgidir} placeholders
#                         ($CGIKITD, if set, is the binary: e.g. a saved copy to compare against)
#   fill_placeholders TEMPLATE PORT FIXTURE [WORKDIR]  a command line with its placeholders filled
#   bench_nginx_conf DIR PORT DOCROOT WORKERS [LISTEN_OPTIONS]  a minimal static nginx config
#   bench_workdir NAME [HOOK]  the scratch dir $WORK and the EXIT trap that stops what is left
#   bench_start LOG CPU COMMAND...  a server in the background, pinned or not, recorded for the trap
#   bench_start_cgikitd NAME CPU PORT [TEMPLATE]  the same for cgikitd, until it listens
#   bench_wait_ready PID PORT [PATH], bench_wait_listening PID LOG [SECONDS]  until it serves
#   bench_stop PID [SECONDS]  SIGTERM, then SIGKILL for what is left of its process tree
#   bench_track PID, bench_forget PID, tree_pids PID, proc_cpu_ticks PID
# Every process started here (bench_start) is stopped by its PID before the script ends: by the
# script, or at the latest by the EXIT trap of bench_workdir.

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
BUILD=${BUILD:-$REPO/build}
[[ $BUILD = /* ]] || BUILD=$REPO/$BUILD
BIN=${BIN:-$BENCH/results/bin}

bench_build_tools() {
  mkdir -p "$BIN"
  make -s -C "$BENCH/cgi" OUT="$BIN"
  local cflags=(-O2 -Wall -Wextra)
  [[ $BIN/fixed_load -nt $BENCH/fixed_load.c ]] ||
    cc "${cflags[@]}" -o "$BIN/fixed_load" "$BENCH/fixed_load.c"
  [[ $BIN/malloc_count.so -nt $BENCH/malloc_count.c ]] ||
    cc "${cflags[@]}" -shared -fPIC -o "$BIN/malloc_count.so" "$BENCH/malloc_count.c"
  [[ $BIN/spawn_floor -nt $BENCH/spawn_floor/spawn_floor.c ]] ||
    cc "${cflags[@]}" -o "$BIN/spawn_floor" "$BENCH/spawn_floor/spawn_floor.c"
  [[ $BIN/static_floor -nt $BENCH/static_floor/static_floor.c ]] ||
    cc "${cflags[@]}" -o "$BIN/static_floor" "$BENCH/static_floor/static_floor.c"
}

# bench_build TARGET...: builds the CMake TARGETs in $BUILD, configured as Release if new; warns
# when $BUILD is not a plain Release build (a Debug or sanitizer build's figures compare with
# nothing).
bench_build() {
  if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD/CMakeCache.txt" ||
     grep -q '^CGIKIT_SANITIZE:STRING=.\+$' "$BUILD/CMakeCache.txt"; then
    echo "warning: $BUILD is not a plain Release build: its numbers are not comparable" >&2
  fi
  cmake --build "$BUILD" --target "$@" >/dev/null
}

# Builds cgikitd and the example CGI programs in $BUILD.
bench_build_cgikitd() { bench_build cgikitd cgikit_examples; }

# Our C++ hello as the project builds it (dynamic libstdc++/glibc) and linked statically, to
# measure what the dynamic loader costs per CGI spawn. Needs $BUILD/cgi/libcgikit.a.
bench_build_examples_static() {
  mkdir -p "$BIN"
  if [[ -x $BUILD/cgi-bin/hello ]]; then install -m 755 "$BUILD/cgi-bin/hello" "$BIN/hello-cgikit"; fi
  local lib=$BUILD/cgi/libcgikit.a
  [[ -f $lib ]] || return 0
  if [[ ! $BIN/hello-cgikit-static -nt $lib || ! $BIN/hello-cgikit-static -nt $REPO/cgi-bin/hello.cpp ]]; then
    ${CXX:-g++} -std=c++20 -O2 -static -I "$REPO/cgi/include" "$REPO/cgi-bin/hello.cpp" "$lib" \
      -o "$BIN/hello-cgikit-static"
  fi
}

# The files every server serves: random bytes (no compression shortcut anywhere) and the CGI
# programs. World-readable: the servers run their workers as www-data / nobody.
bench_fixture() {
  local dir=$1 f
  mkdir -p "$dir/www" "$dir/cgi-bin"
  chmod 755 "$dir"
  head -c 1024 /dev/urandom > "$dir/www/1k.bin"
  head -c 65536 /dev/urandom > "$dir/www/64k.bin"
  head -c 1048576 /dev/urandom > "$dir/www/1m.bin"
  echo '<!doctype html><title>bench</title>' > "$dir/www/index.html"
  for f in hello hello-dyn hello-musl hello.sh echo_env; do
    if [[ -e $BIN/$f ]]; then install -m 755 "$BIN/$f" "$dir/cgi-bin/$f"; fi
  done
  # Our C++ example (cgi-bin/hello.cpp on libcgikit), under another name than the C hello.
  if [[ -x $BUILD/cgi-bin/hello ]]; then install -m 755 "$BUILD/cgi-bin/hello" "$dir/cgi-bin/hello-cgikit"; fi
  chmod -R a+rX "$dir/www" "$dir/cgi-bin"
}

# bench_require NAME TOOL...: exits 1, saying "NAME: missing TOOL: run bench/setup.sh", unless
# every TOOL is on PATH.
bench_require() {
  local name=$1 tool
  shift
  for tool; do
    command -v "$tool" >/dev/null || { echo "$name: missing $tool: run bench/setup.sh" >&2; exit 1; }
  done
}

free_port() {
  local p=$1
  while ss -Hltn "( sport = :$p )" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

cgikitd_cmd() {
  echo "${CGIKITD:-$BUILD/server/cgikitd} --listen 127.0.0.1:{port} --root {docroot} --cgi-bin /cgi-bin/={cgidir} --workers 1 --access-log off"
}

# fill_placeholders TEMPLATE PORT FIXTURE [WORKDIR]: the command line TEMPLATE (cgikitd_cmd's or
# $CGIKITD_CMD) with {port}, {docroot} (FIXTURE/www), {cgidir} (FIXTURE/cgi-bin: the dirs of
# bench_fixture) and {workdir} (WORKDIR, by default FIXTURE: where the server may write) filled in.
# The result is split into words by the caller (paths with spaces are not supported).
fill_placeholders() {
  local c=$1
  c=${c//\{port\}/$2}
  c=${c//\{docroot\}/$3/www}
  c=${c//\{cgidir\}/$3/cgi-bin}
  c=${c//\{workdir\}/${4:-$3}}
  printf '%s\n' "$c"
}

# bench_nginx_conf DIR PORT DOCROOT WORKERS [LISTEN_OPTIONS]: writes DIR/nginx.conf, to be run as
# `nginx -p DIR -c DIR/nginx.conf`: the files of DOCROOT on 127.0.0.1:PORT (LISTEN_OPTIONS, e.g.
# "reuseport", appended to the listen directive), in the foreground, WORKERS worker processes as
# www-data (so DIR must be world-searchable); access log off, sendfile on, keep-alive request limit
# raised so that no connection is closed mid-run; pid, error log and temp dirs inside DIR.
bench_nginx_conf() {
  local d=$1 port=$2 root=$3 workers=$4
  local listen="127.0.0.1:$port${5:+ $5}"
  cat > "$d/nginx.conf" <<EOF
worker_processes $workers;
daemon off;
master_process on;
user www-data www-data;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
    types { application/octet-stream bin; text/html html; }
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    server {
        listen $listen;
        server_name 127.0.0.1;
        root $root;
        location / { }
    }
}
EOF
}

# ------------------------------------------------------------ processes and the scratch dir
# Every process a script starts in the background is recorded here from its start (bench_start or
# bench_track) until it is stopped (bench_stop) or has been waited for (bench_forget), so that the
# EXIT trap of bench_workdir stops, by PID, whatever an error or a signal left running.
BENCH_PIDS=()
BENCH_EXIT_HOOK=""

# bench_workdir NAME [HOOK]: makes the scratch dir /tmp/bench-NAME.XXXXXX, sets WORK to it and
# installs an EXIT trap (it runs on errors and on SIGINT / SIGTERM too) that stops every recorded
# process, newest first, then runs the function HOOK if given (e.g. to keep the servers' logs) and
# removes WORK. Call it in the script's own shell, not in $(...).
bench_workdir() {
  WORK=$(mktemp -d "/tmp/bench-$1.XXXXXX")
  BENCH_EXIT_HOOK=${2:-}
  trap bench_cleanup EXIT
}

bench_cleanup() {
  local pids=("${BENCH_PIDS[@]}") i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do bench_stop "${pids[i]}" || true; done
  if [[ -n $BENCH_EXIT_HOOK ]]; then "$BENCH_EXIT_HOOK" || true; fi
  if [[ -n ${WORK:-} ]]; then rm -rf "$WORK"; fi
}

bench_track() { BENCH_PIDS+=("$1"); }

bench_forget() {
  local kept=() p
  for p in "${BENCH_PIDS[@]}"; do [[ $p == "$1" ]] || kept+=("$p"); done
  BENCH_PIDS=("${kept[@]}")
}

# bench_start LOG CPU COMMAND...: runs COMMAND in the background with its stdout and stderr in LOG,
# pinned to CPU with taskset (so are the children it spawns) unless CPU is "-", and records it;
# sets BENCH_PID, the server's own PID (taskset exec()s it). Not in $(...): the record would be lost.
bench_start() {
  local log=$1 cpu=$2
  shift 2
  if [[ $cpu == - ]]; then
    "$@" > "$log" 2>&1 &
  else
    taskset -c "$cpu" "$@" > "$log" 2>&1 &
  fi
  BENCH_PID=$!
  bench_track "$BENCH_PID"
}

# bench_wait_ready PID PORT [PATH]: waits up to 10 s until GET PATH (/1k.bin) on 127.0.0.1:PORT
# answers 200. Returns 0 then, 1 as soon as PID has ended (it died at start-up), 2 when the time is
# up; prints nothing (the caller knows what to say).
bench_wait_ready() {
  local pid=$1 url="http://127.0.0.1:$2${3:-/1k.bin}" i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    [[ $(curl -s -o /dev/null -m 1 -w '%{http_code}' "$url" || true) == 200 ]] && return 0
    sleep 0.1
  done
  return 2
}

# bench_wait_listening PID LOG [SECONDS]: waits until cgikitd's LOG says "listening on", without
# sending it a request. Returns 1 as soon as PID has ended (it died at start-up), else 0: when the
# line is there, or silently after SECONDS (10), as a slow start is no error here (the first request
# will tell).
bench_wait_listening() {
  local pid=$1 log=$2 i
  for ((i = 0; i < ${3:-10} * 10; i++)); do
    grep -qs 'listening on' "$log" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 0
}

# bench_start_cgikitd NAME CPU PORT [TEMPLATE]: cgikitd's command line TEMPLATE (default
# cgikitd_cmd) for the fixture in $WORK on PORT, started by bench_start (log: $WORK/server.log) and
# waited for with bench_wait_listening; sets BENCH_PID. If it dies at start-up, exits saying so as
# the script NAME, with the end of its log.
bench_start_cgikitd() {
  local name=$1 cpu=$2 port=$3 cmd
  cmd=$(fill_placeholders "${4:-$(cgikitd_cmd)}" "$port" "$WORK")
  # shellcheck disable=SC2086  # a command line, split into words
  bench_start "$WORK/server.log" "$cpu" $cmd
  bench_wait_listening "$BENCH_PID" "$WORK/server.log" ||
    { echo "$name: cgikitd died at start-up: $(tail -5 "$WORK/server.log")" >&2; exit 1; }
}

# tree_pids PID: PID and all its descendants, one a line, parents first.
tree_pids() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { kids[$2] = kids[$2] " " $1 }
    END { q[1] = root; n = 1; for (i = 1; i <= n; i++) { print q[i];
          m = split(kids[q[i]], k, " "); for (j = 1; j <= m; j++) q[++n] = k[j] } }'
}

# bench_stop PID [SECONDS]: SIGTERM to PID (the servers stop their own workers and children on it),
# then up to SECONDS (10) for PID and every process of its tree to end; SIGKILL to those left (said
# on stderr). Reaps PID and forgets it; harmless when PID has already ended.
bench_stop() {
  local pid=$1 patience=${2:-10} pids p i alive
  pids=$(tree_pids "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < patience * 10; i++)); do
    alive=0
    for p in $pids; do if kill -0 "$p" 2>/dev/null; then alive=1; fi; done
    ((alive)) || break
    sleep 0.1
  done
  for p in $pids; do if kill -KILL "$p" 2>/dev/null; then echo "  (SIGKILL $p)" >&2; fi; done
  wait "$pid" 2>/dev/null || true
  bench_forget "$pid"
}

# proc_cpu_ticks PID: CPU time of PID and of the children it has reaped, in clock ticks: utime +
# stime + cutime + cstime (fields 14-17 of /proc/PID/stat; the comm field has no spaces).
proc_cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }
