#!/usr/bin/env bash
# bench/multipart/run.sh — libcgikit vs GNU cgicc parsing the same ~64 MiB multipart/form-data
# bodies as ../shared/bench/cgicc_upload.sh (made by its gen_multipart.sh): 2 files x 32 MiB and
# 1024 files x 64 KiB from a file on stdin, and 2 x 32 MiB through a pipe (as under a CGI server).
# Each program runs like a CGI (REQUEST_METHOD, CONTENT_TYPE, CONTENT_LENGTH, body on stdin) under
# /usr/bin/time -v, pinned to one CPU; the two alternate run by run so that background load hits
# both alike. Measured: throughput of read + parse (cgicc: the Cgicc constructor; cgikit:
# Request::from_environment, uploads spooled to temp files in $TMPDIR) and peak RSS. Both then
# touch every byte of every file; their checksums must agree or the script fails.
# Also reported: the whole process's CPU time (user + sys, including exec, the touch pass and exit),
# which, unlike wall-clock throughput, stays comparable when other load shares the CPU.
# Goal (issue 4): cgikit >= 3x cgicc's throughput with peak RSS under 16 MiB.
# env: RUNS (default 5), CPU (default 0), SHARED (default ../shared/bench), CXX
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
SHARED=${SHARED:-$(cd "$repo/../shared/bench" && pwd)}
RUNS=${RUNS:-5}
CPU=${CPU:-0}
CXX=${CXX:-g++}
[[ -f /usr/include/cgicc/Cgicc.h ]] || { echo "cgicc missing: apt-get install -y libcgicc-dev" >&2; exit 1; }
work=$(mktemp -d /tmp/bench-multipart.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "building (g++ -O2, both sides) ..." >&2
"$CXX" -O2 -Wall -Wextra -o "$work/cgicc_upload" "$SHARED/cgicc_upload.cpp" -lcgicc
"$CXX" -std=c++20 -O2 -Wall -Wextra -I"$repo/cgi/include" -o "$work/cgikit_upload" \
    "$here/cgikit_upload.cpp" "$repo"/cgi/src/*.cpp

# One run: prints "<total MiB/s> <peak RSS KiB> <checksum> <process CPU s>".
one_run() {  # $1 program, $2 body file, $3 file|pipe
    local line rss cpu
    if [[ $3 == pipe ]]; then
        line=$(cat "$2" | timeout 120 /usr/bin/time -v -o "$work/time.txt" taskset -c "$CPU" "$work/$1")
    else
        line=$(timeout 120 /usr/bin/time -v -o "$work/time.txt" taskset -c "$CPU" "$work/$1" < "$2")
    fi
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$work/time.txt")
    awk -v rss="$rss" -v cpu="$cpu" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        print v["total_MiB_s"], rss, v["checksum"], cpu }' <<<"$line"
}

median() { sort -n | awk '{ x[NR] = $1 } END { print NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2 }'; }
maximum() { sort -n | tail -1; }

rows=()
run_shape() {  # $1 label, $2 nfiles, $3 bytes per file, $4 file|pipe
    local body="$work/body" meta
    meta=$("$SHARED/gen_multipart.sh" "$body" "$2" "$3")
    export REQUEST_METHOD=POST CONTENT_TYPE="${meta% *}" CONTENT_LENGTH="${meta##* }"
    cat "$body" > /dev/null  # into the page cache
    : > "$work/cgicc.txt"; : > "$work/cgikit.txt"
    local i
    for i in $(seq "$RUNS"); do
        one_run cgicc_upload "$body" "$4" >> "$work/cgicc.txt"
        one_run cgikit_upload "$body" "$4" >> "$work/cgikit.txt"
    done
    if [[ $(cut -d' ' -f3 "$work/cgicc.txt" "$work/cgikit.txt" | sort -u | wc -l) -ne 1 ]]; then
        echo "checksums differ for $1: the parsers disagree" >&2; exit 1
    fi
    local cc_tp ck_tp cc_rss ck_rss cc_cpu ck_cpu
    cc_tp=$(cut -d' ' -f1 "$work/cgicc.txt" | median)
    ck_tp=$(cut -d' ' -f1 "$work/cgikit.txt" | median)
    cc_rss=$(cut -d' ' -f2 "$work/cgicc.txt" | maximum)
    ck_rss=$(cut -d' ' -f2 "$work/cgikit.txt" | maximum)
    cc_cpu=$(cut -d' ' -f4 "$work/cgicc.txt" | median)
    ck_cpu=$(cut -d' ' -f4 "$work/cgikit.txt" | median)
    rows+=("$(awk -v l="$1" -v s="$4" -v b="$CONTENT_LENGTH" -v a="$cc_tp" -v k="$ck_tp" \
        -v ar="$cc_rss" -v kr="$ck_rss" -v ac="$cc_cpu" -v kc="$ck_cpu" 'BEGIN {
        printf "| %s | %s | %.1f | %.0f | %.0f | %.1fx | %.1f | %.1f | %.2f | %.2f |", l, s,
            b / 1048576, a, k, k / a, ar / 1024, kr / 1024, ac, kc }')")
    rm -f "$body"
}

run_shape "2 files x 32 MiB" 2 $((32 * 1048576)) file
run_shape "1024 files x 64 KiB" 1024 65536 file
run_shape "2 files x 32 MiB" 2 $((32 * 1048576)) pipe

tmpfs=$(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 }')
echo "# multipart read+parse, median of $RUNS runs each (alternating), pinned to CPU $CPU;" \
     "libcgicc $(dpkg-query -W -f='${Version}' libcgicc3 2>/dev/null || echo '?'), g++ -O2;" \
     "cgikit temp files in ${TMPDIR:-/tmp} ($tmpfs); loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| body | stdin | MiB | cgicc MiB/s | cgikit MiB/s | speedup | cgicc peak RSS MiB | cgikit peak RSS MiB | cgicc CPU s | cgikit CPU s |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
