#!/usr/bin/env bash
# Installs what is missing, then checks everything, stopping at the first failure (non-zero exit):
#   1. formatting: every tracked C/C++ file as clang-format (.clang-format) would leave it;
#   2. the release build (build/, which is also what run.sh and the benchmarks use) and its tests;
#   3. the whole suite again under ASan+UBSan (build-asan/);
#   4. every libFuzzer target briefly under ASan+UBSan (scripts/fuzz.sh, build-fuzz/);
#   5. the 30-second soak against the release build (ctest label "soak", run here only: steps 2
#      and 3 leave it out, so it runs exactly once);
#   6. the multi-worker integration suite under ThreadSanitizer (scripts/tsan.sh, build-tsan/).
# On 2 cores about 5 + 10 + 5 + 1 + 6 minutes for stages 2-6 (docs/hardening.md has the measurements).
# CGIKIT_FUZZ_SECONDS changes the time per fuzz target (default 20; 14 targets, 2 at a time).
set -euo pipefail
cd "$(dirname "$0")"
jobs=$(nproc)
fuzz_seconds=${CGIKIT_FUZZ_SECONDS:-20}

timings=()
stage_start=$SECONDS
stage_name="installing packages"
begin() {
  stage_name=$1
  stage_start=$SECONDS
  echo "=== test.sh: $stage_name"
}
end() {
  timings+=("$(printf '%-34s %4d s' "$stage_name" $((SECONDS - stage_start)))")
}
report() {
  local rc=$?
  ((${#timings[@]})) && printf 'test.sh: %s\n' "${timings[@]}"
  ((rc == 0)) || echo "test.sh: FAILED in stage: $stage_name (exit $rc)" >&2
}
trap report EXIT
scripts/install-deps.sh test

begin "clang-format"
# safe.directory: CI runs as root on a checkout that may belong to another user.
if git -c safe.directory="$PWD" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -c safe.directory="$PWD" ls-files -z '*.cpp' '*.hpp' '*.c' '*.h' | xargs -0 -r clang-format --dry-run --Werror
else
  echo "test.sh: not a git checkout, formatting not checked"
fi
end

begin "release build + tests"
cmake --preset release
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs" -LE soak
end

begin "ASan+UBSan build + tests"
cmake --preset asan
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs" -LE soak
end

# Two targets at a time whatever the core count: each libFuzzer process is single-threaded, and
# the budget above assumes 2 x 7 runs.
begin "fuzzing (${fuzz_seconds} s per target)"
scripts/fuzz.sh --seconds "$fuzz_seconds" --jobs 2
end

begin "soak (30 s)"
ctest --preset release -L soak
end

begin "ThreadSanitizer (integration)"
scripts/tsan.sh --jobs "$jobs"
end
