#!/usr/bin/env bash
# Installs the Debian packages cgikit needs, only those missing. Shared by run.sh and test.sh.
# Usage: scripts/install-deps.sh [build|test]   (test adds what the test suite needs)
set -euo pipefail
mode=${1:-build}

# What each package is for:
#   cmake ninja-build g++ pkg-config   the build
#   node-llhttp                        llhttp C sources + header (HTTP/1.1 request parsing)
#   nlohmann-json3-dev                 config files and JSON bodies
#   catch2                             unit and integration tests (Catch2 v2)
#   libcurl4-openssl-dev               integration tests that need a real HTTP client
#   libsqlite3-dev                     the guestbook example (cgi-bin/guestbook.cpp)
#   perl python3                       CGI test fixtures written as scripts
#   apache2                            deployment tests: our examples under a real Apache
#   chromium                           end-to-end browser test (driven by playwright-core from npm)
#   curl                               the install test serves and fetches a freshly built program
#   clang libclang-rt-14-dev           the libFuzzer targets test.sh runs (scripts/fuzz.sh); the
#                                      runtime (libFuzzer, sanitizers) is only a Recommends of clang
#   clang-format                       test.sh checks that every C/C++ file is formatted
packages=(cmake ninja-build g++ pkg-config node-llhttp nlohmann-json3-dev libsqlite3-dev)
if [[ $mode == test ]]; then
  packages+=(catch2 libcurl4-openssl-dev perl python3 apache2 chromium curl)
  packages+=(clang libclang-rt-14-dev clang-format)
  # npm (for playwright-core) only when no node/npm is present: a NodeSource nodejs brings its
  # own npm and conflicts with Debian's.
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# python3 may come from elsewhere (pyenv); the command is what fixtures need.
if [[ " ${missing[*]} " == *" python3 "* ]] && command -v python3 >/dev/null; then
  missing=("${missing[@]/python3}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
