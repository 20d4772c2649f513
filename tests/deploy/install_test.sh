#!/usr/bin/env bash
# Installs the build to a temp prefix with `cmake --install`, checks what lands where, builds a
# user's CGI program (consumer/) against the installed library both ways - find_package(cgikit)
# and pkg-config - runs both binaries as CGI programs, and serves one with the installed cgikitd.
# The same commands are in docs/deploy.md.
# Usage: install_test.sh BUILD_DIR CONSUMER_SOURCE_DIR [EXTRA_CXX_FLAGS]
set -euo pipefail
build=$1
consumer=$2
extra_flags=${3:-}

work=$(mktemp -d /tmp/cgikit-install-test-XXXXXX)
chmod 755 "$work"  # cgikitd started as root serves as nobody: it must read the prefix
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() { echo "--- $*"; }

prefix=$work/prefix
step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || {
    cat "$work/install.log"
    fail "cmake --install"
}

step "what was installed"
for path in bin/cgikitd lib/libcgikit.a include/cgikit/cgikit.hpp include/cgikit/request.hpp \
    lib/cmake/cgikit/cgikitConfig.cmake lib/cmake/cgikit/cgikitConfigVersion.cmake \
    lib/cmake/cgikit/cgikitTargets.cmake lib/pkgconfig/cgikit.pc \
    libexec/cgikit/cgi-bin/hello libexec/cgikit/cgi-bin/form libexec/cgikit/cgi-bin/upload \
    libexec/cgikit/cgi-bin/guestbook libexec/cgikit/cgi-bin/time libexec/cgikit/cgi-bin/env \
    libexec/cgikit/cgi-bin/form_dump share/cgikit/www/index.html share/cgikit/www/style.css \
    share/cgikit/apache/cgi-bin.conf share/cgikit/apache/proxy.conf \
    share/cgikit/apache/balancer.conf; do
    [[ -e $prefix/$path ]] || fail "not installed: $path"
done
[[ -x $prefix/libexec/cgikit/cgi-bin/hello ]] || fail "hello is not executable"
# Nothing of the build's own (compiler-warning target, build paths) leaks into the package.
if grep -q -e cgikit_warnings -e "$build" "$prefix"/lib/cmake/cgikit/*.cmake; then
    fail "the CMake package refers to the build tree"
fi

# Runs a built CGI program the way a server would, and checks its answer.
run_as_cgi() {
    local program=$1 output
    output=$(REQUEST_METHOD=GET QUERY_STRING='name=%3CAda%3E' GATEWAY_INTERFACE=CGI/1.1 "$program")
    [[ $output == *"Content-Type: text/html; charset=utf-8"* ]] || fail "$program: $output"
    [[ $output == *"<p>Hello, &lt;Ada&gt;!</p>"* ]] || fail "$program: $output"
}

step "find_package(cgikit): cmake -S consumer -B build -DCMAKE_PREFIX_PATH=$prefix"
cmake -S "$consumer" -B "$work/with-cmake" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$extra_flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$extra_flags" >"$work/cmake.log" || {
    cat "$work/cmake.log"
    fail "configuring the consumer"
}
cmake --build "$work/with-cmake" || fail "building the consumer with CMake"
run_as_cgi "$work/with-cmake/greeting"

step "pkg-config: g++ -std=c++20 greeting.cpp \$(pkg-config --cflags --libs cgikit)"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[[ $(pkg-config --modversion cgikit) == 0.* ]] || fail "pkg-config --modversion cgikit"
# shellcheck disable=SC2046,SC2086  # the flags are meant to split into words
g++ -std=c++20 -O2 $extra_flags "$consumer/greeting.cpp" -o "$work/greeting-pc" \
    $(pkg-config --cflags --libs cgikit) || fail "building the consumer with pkg-config"
run_as_cgi "$work/greeting-pc"

step "the installed cgikitd serves it"
mkdir -p "$work/cgi-bin"
cp "$work/greeting-pc" "$work/cgi-bin/greeting"
chmod -R a+rX "$work"
"$prefix/bin/cgikitd" --listen 127.0.0.1:0 --workers 1 --root "$prefix/share/cgikit/www" \
    --cgi-bin "/cgi-bin/=$work/cgi-bin" --access-log off --error-log "$work/error.log" &
server_pid=$!
port=
for _ in $(seq 1 300); do # up to 30 s for the listening line
    port=$(sed -n 's#.*listening on http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$work/error.log" \
        2>/dev/null | head -n 1 || true) # the log may not exist yet
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || fail "cgikitd exited: $(cat "$work/error.log")"
    sleep 0.1
done
[[ -n $port ]] || fail "cgikitd did not start: $(cat "$work/error.log")"
page=$(curl -sS --max-time 30 "http://127.0.0.1:$port/cgi-bin/greeting?name=%3CAda%3E")
[[ $page == "<p>Hello, &lt;Ada&gt;!</p>" ]] || fail "served: $page"
index=$(curl -sS --max-time 30 "http://127.0.0.1:$port/")
[[ $index == *"cgi-bin/guestbook"* ]] || fail "the installed site's index page"

echo "install test: all passed"
