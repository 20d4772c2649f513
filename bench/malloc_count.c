/* malloc_count.c — an LD_PRELOAD library that counts heap allocations of a whole process.
 *
 *   cc -O2 -shared -fPIC -o malloc_count.so malloc_count.c
 *   MALLOC_COUNT_OUT=counts.txt LD_PRELOAD=./malloc_count.so build/server/cgikitd ...
 *
 * Counts calls to malloc, calloc, realloc, aligned_alloc / posix_memalign / memalign and free
 * (C++ operator new and delete reach these through libstdc++), and the bytes requested. At exit it
 * writes one line of key=value pairs to $MALLOC_COUNT_OUT (appending), or to stderr. Calls go on
 * to glibc's own allocator (__libc_malloc & co), so nothing changes but the counting; the
 * counters are atomic, so worker threads are counted too. Run a program twice with different
 * request counts and divide the difference by the difference in requests: start-up and shut-down
 * cancel out, and what remains is allocations per request.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void __libc_free(void*);

static atomic_ulong allocs, reallocs, frees, bytes;
/* Opened at start-up: by exit the program may have dropped privileges or cleared its environment.
 */
static int out_fd = 2;

__attribute__((constructor)) static void open_output(void) {
    const char* path = getenv("MALLOC_COUNT_OUT");
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    if (fd >= 0) out_fd = fd;
}

void* malloc(size_t n) {
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes, n, memory_order_relaxed);
    return __libc_malloc(n);
}

void* calloc(size_t count, size_t size) {
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes, count * size, memory_order_relaxed);
    return __libc_calloc(count, size);
}

void* realloc(void* p, size_t n) {
    atomic_fetch_add_explicit(p ? &reallocs : &allocs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes, n, memory_order_relaxed);
    return __libc_realloc(p, n);
}

void* memalign(size_t align, size_t n) {
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes, n, memory_order_relaxed);
    return __libc_memalign(align, n);
}

void* aligned_alloc(size_t align, size_t n) {
    return memalign(align, n);
}

int posix_memalign(void** out, size_t align, size_t n) {
    void* p = memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void free(void* p) {
    if (p) atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
    __libc_free(p);
}

__attribute__((destructor)) static void report(void) {
    char line[256];
    int n = snprintf(line, sizeof line, "pid=%d allocs=%lu reallocs=%lu frees=%lu bytes=%lu\n",
                     (int)getpid(), atomic_load(&allocs), atomic_load(&reallocs),
                     atomic_load(&frees), atomic_load(&bytes));
    if (write(out_fd, line, (size_t)n) < 0) { /* nothing to do about it at exit */
    }
}
