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
#   perl python3                       CGI test fixtures written as scripts
packages=(cmake ninja-build g++ pkg-config node-llhttp nlohmann-json3-dev)
if [[ $mode == test ]]; then
  packages+=(catch2 libcurl4-openssl-dev perl python3)
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
