#!/usr/bin/env bash
# bench/setup.sh — install the peers and tools of the benchmarks (root, apt; Debian 12).
#
# Idempotent: installs only what is missing; runs `apt-get update` only when
# something is missing (or the package lists are absent).  Never enables or
# leaves running the Debian packages' own services: during the install a
# policy-rc.d that refuses service starts is put in place (if the machine does
# not already have one), and any nginx/lighttpd/apache2 process that appears
# during the install is stopped via its init script (or by PID) and reported.
# The harness starts its own servers by hand, from config files in a temp dir.
set -euo pipefail

# musl-tools is extra: it builds cgi/hello-musl, a CGI with no glibc start-up,
# which shows how much of a CGI spawn is glibc's (CPUID-heavy) init on a VM.
# valgrind and linux-perf are for profile.sh (instructions and syscalls per request).
PKGS=(nginx-light lighttpd apache2 wrk build-essential musl-tools valgrind linux-perf
      time curl procps util-linux iproute2)
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=600 --no-install-recommends)

# PIDs of any nginx/lighttpd/apache2/htcacheclean process, sorted.
server_pids() { for n in nginx lighttpd apache2 htcacheclean; do pgrep -x "$n" || true; done | sort; }

missing=()
for p in "${PKGS[@]}"; do
  # nginx-light or nginx both satisfy "an nginx"
  if [[ $p == nginx-light ]] && command -v nginx >/dev/null 2>&1; then continue; fi
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $st == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all packages present (${PKGS[*]})"
else
  echo "setup: missing: ${missing[*]}"
  # PIDs of server processes that already exist (possibly someone else's):
  # we will never touch those.
  before=$(server_pids)

  # Block service auto-start for the duration of the install.
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# temporary, by bench/setup.sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap '[[ $created_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d' EXIT

  if ! compgen -G '/var/lib/apt/lists/*Packages*' >/dev/null; then
    apt-get update -q
  fi
  if ! apt-get install "${APT_OPTS[@]}" "${missing[@]}"; then
    apt-get update -q                       # stale lists: refresh and retry once
    apt-get install "${APT_OPTS[@]}" "${missing[@]}"
  fi

  # Stop any service the install started anyway (new PIDs only).
  after=$(server_pids)
  new=$(comm -13 <(echo "$before") <(echo "$after") | grep . || true)
  if [[ -n $new ]]; then
    echo "setup: NOTE: the install auto-started: $(ps -o pid=,comm= -p "$(echo $new | tr ' ' ,)" | tr '\n' ' ')"
    for svc in nginx lighttpd apache2; do
      [[ -x /etc/init.d/$svc ]] && /etc/init.d/$svc stop || true
    done
    sleep 1
    for pid in $new; do kill "$pid" 2>/dev/null && echo "setup: killed leftover PID $pid" || true; done
  fi
fi

# The packages' postinst enable their units; undo that so nothing starts at
# boot (systemctl disable also works offline, without a running systemd).
if command -v systemctl >/dev/null; then
  for svc in nginx lighttpd apache2 apache-htcacheclean; do
    if systemctl is-enabled "$svc" >/dev/null 2>&1; then
      systemctl disable "$svc" >/dev/null 2>&1 && echo "setup: disabled boot unit $svc" || true
    fi
    [[ -d /run/systemd/system ]] && systemctl stop "$svc" >/dev/null 2>&1 || true
  done
fi
left=$(server_pids | grep . || true)
[[ -z $left ]] || echo "setup: NOTE: server processes running (not started by this script, left alone): $left"

for b in nginx lighttpd apache2 wrk taskset valgrind perf /usr/bin/time; do
  command -v "$b" >/dev/null || { echo "setup: $b still missing" >&2; exit 1; }
done
echo "setup: ok — nginx $(nginx -v 2>&1 | sed 's/.*\///'), lighttpd $(lighttpd -v | sed -n 's/^lighttpd\/\([^ ]*\).*/\1/p'), apache $(apache2 -v | sed -n 's/.*Apache\/\([^ ]*\).*/\1/p'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
