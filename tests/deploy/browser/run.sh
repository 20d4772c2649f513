#!/usr/bin/env bash
# Runs browser_test.mjs: installs playwright-core (the version pinned in package-lock.json, from the
# npm registry) into WORK_DIR once, then drives Debian's /usr/bin/chromium against cgikitd.
# Usage: run.sh CGIKITD EXAMPLES_DIR WWW_DIR SCREENSHOT_DIR WORK_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cgikitd=$1 examples=$2 www=$3 screenshots=$4 work=$5

# npm install is bounded; the registry is reached through npm's own configuration.
readonly NPM_TIMEOUT_SECONDS=300

[[ -x /usr/bin/chromium ]] || {
    echo "FAIL: /usr/bin/chromium is missing (Debian: chromium; scripts/install-deps.sh test)" >&2
    exit 1
}
command -v npm >/dev/null || {
    echo "FAIL: npm is missing (Debian: npm; scripts/install-deps.sh test)" >&2
    exit 1
}

mkdir -p "$work"
# node resolves 'playwright-core' next to the script it runs: run a copy inside the work dir.
cp "$here/browser_test.mjs" "$work/"
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" ||
    [[ ! -d $work/node_modules/playwright-core ]]; then
    cp "$here/package.json" "$here/package-lock.json" "$work/"
    (cd "$work" && timeout "$NPM_TIMEOUT_SECONDS" npm ci --no-audit --no-fund --loglevel=error)
fi
exec node "$work/browser_test.mjs" "$cgikitd" "$examples" "$www" "$screenshots"
