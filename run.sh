#!/usr/bin/env bash
# Installs what is missing, builds release, and serves www/ and the example CGI programs on
# http://127.0.0.1:8080/ in the foreground (Ctrl-C stops it). Extra arguments go to cgikitd.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh build
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target cgikitd cgikit_examples
exec build/server/cgikitd --config conf/cgikitd.json "$@"
