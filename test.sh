#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: first the release build (build/, which is
# also what run.sh and the benchmarks use), then the whole suite again under ASan+UBSan (build-asan/).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh test
jobs=$(nproc)

cmake --preset release
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs"

cmake --preset asan
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"
