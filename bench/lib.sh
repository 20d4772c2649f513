# bench/lib.sh — shared by the bench scripts (sourced, not run).
#
# Sets BENCH (this directory), REPO (the checkout), BUILD (cgikitd's build dir: $BUILD or build/),
# BIN (where the bench's own programs are built: bench/results/bin) and provides:
#   bench_build_tools     builds fixed_load, malloc_count.so, spawn_floor, static_floor and the CGI
#                         programs of cgi/
#   bench_build_cgikitd   builds cgikitd and the C++ example hello (Release) if missing
#   bench_build_examples_static  $BIN/hello-cgikit (the project's cgi-bin/hello) and
#                         $BIN/hello-cgikit-static (the same source and library, linked -static)
#   bench_fixture DIR     docroot DIR/www (1k.bin, 64k.bin, 1m.bin, index.html) and DIR/cgi-bin
#   free_port PORT        the first port >= PORT that nothing listens on
#   cgikitd_cmd           the default cgikitd command line, with {port} {docroot} {cgidir} placeholders
#                         ($CGIKITD, if set, is the binary: e.g. a saved copy to compare against)
# Everything here starts no process that outlives its caller.

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

# Builds cgikitd and the example CGI programs in $BUILD (configured as Release if new).
bench_build_cgikitd() {
  if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD/CMakeCache.txt" ||
     grep -q '^CGIKIT_SANITIZE:STRING=.\+$' "$BUILD/CMakeCache.txt"; then
    echo "warning: $BUILD is not a plain Release build: its numbers are not comparable" >&2
  fi
  cmake --build "$BUILD" --target cgikitd cgikit_examples >/dev/null
}

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

free_port() {
  local p=$1
  while ss -Hltn "( sport = :$p )" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

cgikitd_cmd() {
  echo "${CGIKITD:-$BUILD/server/cgikitd} --listen 127.0.0.1:{port} --root {docroot} --cgi-bin /cgi-bin/={cgidir} --workers 1 --access-log off"
}
