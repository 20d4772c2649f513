/* spawn_floor.c — the physical floor for CGI on this machine.
 *
 * Each iteration does what a CGI server must do per request, and nothing else:
 *   create a stdin pipe and a stdout pipe (O_CLOEXEC), spawn the CGI with a
 *   CGI-like environment and those pipes as fd 0/1, close the stdin write end
 *   (empty body), read the child's output to EOF, waitpid() it.
 * No HTTP, no sockets.  A CGI server can approach, never beat, these numbers.
 *
 * usage: spawn_floor [-m fork|vfork|posix_spawn] [-w workers] [-d seconds]
 *                    [-r rss_mib] [-c cpu] PROGRAM
 *        spawn_floor -C      (x86: cost of one CPUID instruction, which traps to
 *                             the hypervisor in a VM; glibc 2.36 start-up runs 68)
 *   -w  concurrent worker processes, each running the loop independently
 *   -r  touch this many MiB of private heap in each worker first, to show how
 *       fork() cost grows with the parent's size (a real server's heap)
 *   -c  pin the workers (and so their children) to this CPU
 * Output: one line, `key=value` pairs (spawns/s, mean/p50/p99 µs per spawn).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

enum method { M_FORK, M_VFORK, M_SPAWN };
#define MAX_SAMPLES (1u << 20) /* per worker; latencies in ns */

static const char* prog;
static char* cgi_argv[2];
static char* cgi_env[] = {/* what a CGI server typically passes */
                          "GATEWAY_INTERFACE=CGI/1.1",
                          "SERVER_PROTOCOL=HTTP/1.1",
                          "SERVER_SOFTWARE=spawn_floor",
                          "SERVER_NAME=127.0.0.1",
                          "SERVER_PORT=8080",
                          "SERVER_ADDR=127.0.0.1",
                          "REMOTE_ADDR=127.0.0.1",
                          "REMOTE_PORT=40000",
                          "REQUEST_METHOD=GET",
                          "REQUEST_URI=/cgi-bin/hello",
                          "SCRIPT_NAME=/cgi-bin/hello",
                          "SCRIPT_FILENAME=/srv/cgi-bin/hello",
                          "QUERY_STRING=",
                          "PATH_INFO=",
                          "DOCUMENT_ROOT=/srv/www",
                          "HTTP_HOST=127.0.0.1:8080",
                          "HTTP_USER_AGENT=wrk",
                          "HTTP_ACCEPT=*/*",
                          "PATH=/usr/local/bin:/usr/bin:/bin",
                          NULL};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char* what) {
    perror(what);
    exit(2);
}

/* One CGI round trip. Returns the number of output bytes read. */
static long one_spawn(enum method m) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) die("pipe2");
    pid_t pid = -1;

    if (m == M_SPAWN) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0); /* dup2 clears CLOEXEC */
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        int e = posix_spawn(&pid, prog, &fa, NULL, cgi_argv, cgi_env);
        posix_spawn_file_actions_destroy(&fa);
        if (e) {
            errno = e;
            die("posix_spawn");
        }
    } else {
        pid = (m == M_FORK) ? fork() : vfork();
        if (pid < 0) die("fork");
        if (pid == 0) { /* child: only async-signal-safe calls */
            dup2(in[0], 0);
            dup2(out[1], 1);
            execve(prog, cgi_argv, cgi_env);
            _exit(127);
        }
    }
    close(in[0]);
    close(in[1]); /* empty request body: EOF on stdin */
    close(out[1]);

    char buf[4096];
    long total = 0;
    for (;;) {
        ssize_t r = read(out[0], buf, sizeof buf);
        if (r > 0) {
            total += r;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        break;
    }
    close(out[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "child failed (status 0x%x)\n", st);
        exit(2);
    }
    return total;
}

static int cpuid_cost(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d, n = 20000;
    uint64_t t0 = now_ns();
    for (unsigned i = 0; i < n; i++) {
        __cpuid_count(7, 0, a, b, c, d);
        __asm__ volatile("" : : "r"(a), "r"(b), "r"(c), "r"(d));
    }
    printf("cpuid_ns=%.0f\n", (double)(now_ns() - t0) / n);
    return 0;
#else
    puts("cpuid_ns=n/a");
    return 0;
#endif
}

static int cmp_u32(const void* a, const void* b) {
    uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv) {
    enum method m = M_FORK;
    int workers = 1, cpu = -1;
    double secs = 3.0;
    long rss_mib = 0;
    const char* mname = "fork";
    int opt;
    while ((opt = getopt(argc, argv, "m:w:d:r:c:C")) != -1) {
        switch (opt) {
            case 'C':
                return cpuid_cost();
            case 'm':
                mname = optarg;
                if (!strcmp(optarg, "fork"))
                    m = M_FORK;
                else if (!strcmp(optarg, "vfork"))
                    m = M_VFORK;
                else if (!strcmp(optarg, "posix_spawn"))
                    m = M_SPAWN;
                else {
                    fprintf(stderr, "unknown method %s\n", optarg);
                    return 2;
                }
                break;
            case 'w':
                workers = atoi(optarg);
                break;
            case 'd':
                secs = atof(optarg);
                break;
            case 'r':
                rss_mib = atol(optarg);
                break;
            case 'c':
                cpu = atoi(optarg);
                break;
            default:
                goto usage;
        }
    }
    if (optind != argc - 1 || workers < 1) {
    usage:
        fprintf(stderr,
                "usage: %s [-m fork|vfork|posix_spawn] [-w N] [-d secs] "
                "[-r rss_mib] [-c cpu] PROGRAM\n",
                argv[0]);
        return 2;
    }
    prog = argv[optind];
    cgi_argv[0] = (char*)prog;
    if (access(prog, X_OK)) die(prog);
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set)) die("sched_setaffinity");
    }

    /* Shared (not private) so it does not add to the workers' fork() cost. */
    size_t per = MAX_SAMPLES;
    uint32_t* lat = mmap(NULL, (size_t)workers * per * sizeof *lat, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    uint64_t* cnt = mmap(NULL, (size_t)workers * 2 * sizeof *cnt, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (lat == MAP_FAILED || cnt == MAP_FAILED) die("mmap");

    long expect = one_spawn(m); /* warm the page cache, learn the size */
    int go[2], ready[2];
    if (pipe(go) || pipe(ready)) die("pipe");
    for (int w = 0; w < workers; w++) {
        pid_t p = fork();
        if (p < 0) die("fork worker");
        if (p) continue;
        close(go[1]);
        close(ready[0]);
        if (rss_mib > 0) {
            char* heap = malloc((size_t)rss_mib << 20);
            if (!heap) die("malloc");
            memset(heap, 1, (size_t)rss_mib << 20);
        }
        char c = 'r';
        if (write(ready[1], &c, 1) != 1) die("write ready");
        close(ready[1]);
        if (read(go[0], &c, 1) < 0) die("read go"); /* start together */
        uint32_t* my = lat + (size_t)w * per;
        uint64_t n = 0, bad = 0, t0 = now_ns(), end = t0 + (uint64_t)(secs * 1e9);
        for (uint64_t t = t0; t < end;) {
            long got = one_spawn(m);
            uint64_t t1 = now_ns();
            if (got != expect) bad++;
            if (n < per) my[n] = (uint32_t)(t1 - t > UINT32_MAX ? UINT32_MAX : t1 - t);
            n++;
            t = t1;
        }
        cnt[2 * w] = n;
        cnt[2 * w + 1] = bad;
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    for (int w = 0; w < workers; w++) { /* wait until every worker is set up */
        char c;
        if (read(ready[0], &c, 1) != 1) die("read ready");
    }
    uint64_t t0 = now_ns();
    close(go[1]); /* EOF releases all workers at once */
    for (int w = 0; w < workers; w++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
            fprintf(stderr, "worker failed\n");
            return 1;
        }
    }
    double wall = (double)(now_ns() - t0) / 1e9;

    uint64_t total = 0, bad = 0, kept = 0;
    for (int w = 0; w < workers; w++) {
        total += cnt[2 * w];
        bad += cnt[2 * w + 1];
    }
    uint32_t* all = malloc(total * sizeof *all);
    double sum = 0;
    for (int w = 0; w < workers; w++) {
        uint64_t n = cnt[2 * w] < per ? cnt[2 * w] : per;
        for (uint64_t i = 0; i < n; i++) {
            all[kept++] = lat[(size_t)w * per + i];
            sum += lat[(size_t)w * per + i];
        }
    }
    qsort(all, kept, sizeof *all, cmp_u32);
    printf(
        "method=%s workers=%d cpu=%d rss_mib=%ld prog=%s spawns=%llu wall_s=%.2f "
        "spawns_per_s=%.0f mean_us=%.1f p50_us=%.1f p99_us=%.1f bad=%llu\n",
        mname, workers, cpu, rss_mib, prog, (unsigned long long)total, wall, (double)total / wall,
        kept ? sum / kept / 1e3 : 0, kept ? all[kept / 2] / 1e3 : 0,
        kept ? all[(kept * 99) / 100] / 1e3 : 0, (unsigned long long)bad);
    return bad ? 1 : 0;
}
