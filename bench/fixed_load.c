/* fixed_load.c — sends an exact number of HTTP/1.1 GET requests and checks every response.
 *
 * wrk runs for a time; this runs for a count, so that per-request costs measured around it
 * (callgrind instructions, strace syscalls, allocations) divide by a known number and repeat
 * exactly whatever the load on the machine.
 *
 * usage: fixed_load [-n requests] [-c connections] [-C] [-s body_size] [-w seconds] HOST:PORT PATH
 *   -n  total requests (default 10000)
 *   -c  concurrent connections, one request in flight on each (default 1)
 *   -C  "Connection: close": a new TCP connection per request (default: keep-alive)
 *   -s  expected body size in bytes; a response of another size counts as an error
 *   -w  when done, keep the (idle, keep-alive) connections open this long before exiting, e.g. to
 *       measure what idle connections cost the server; "ready" is printed to stdout first
 * Responses are framed by Content-Length or chunked encoding. A status other than 200, a short or
 * malformed response, or a connection the server closes mid-response counts as an error.
 * Output: one line of key=value pairs (requests, errors, seconds, req_s, body_bytes).
 * Exit status: 0 when every request got a good response, 1 otherwise, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 20000
#define BUF_BYTES (64 * 1024) /* one response head and a bounded piece of body */

enum body_kind { BODY_LENGTH, BODY_CHUNKED };
enum chunk_state { CH_SIZE, CH_DATA, CH_DATA_CRLF, CH_TRAILER };

struct conn {
    int fd;
    int in_flight; /* a request was sent and its response is not complete */
    int head_done; /* the response head has been parsed */
    enum body_kind kind;
    uint64_t remaining; /* BODY_LENGTH: body bytes still to come; CH_DATA: chunk bytes */
    enum chunk_state chunk;
    uint64_t body_bytes; /* body bytes of this response */
    int status;
    int server_closes; /* the response said Connection: close */
    char buf[BUF_BYTES];
    size_t len; /* unconsumed bytes in buf */
};

static struct sockaddr_in server;
static char request[1024];
static size_t request_len;
static long total = 10000, started, completed, errors;
static long expect_size = -1;
static uint64_t body_total;
static int use_close;
static int epfd;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char* what) {
    perror(what);
    exit(2);
}

static void open_conn(struct conn* c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr*)&server, sizeof server) != 0) die("connect");
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl");
    c->len = 0;
}

static void close_conn(struct conn* c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
}

/* Sends the next request on c if any is left; blocking send (a request is tiny). */
static void send_next(struct conn* c) {
    if (started >= total) return;
    if (c->fd < 0) open_conn(c);
    size_t off = 0;
    while (off < request_len) {
        ssize_t n = send(c->fd, request + off, request_len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("send");
        off += (size_t)n;
    }
    started++;
    c->in_flight = 1;
    c->head_done = 0;
    c->body_bytes = 0;
}

static void response_done(struct conn* c, int ok) {
    completed++;
    if (!ok || c->status != 200 || (expect_size >= 0 && c->body_bytes != (uint64_t)expect_size))
        errors++;
    body_total += c->body_bytes;
    c->in_flight = 0;
    if (use_close || c->server_closes || !ok) close_conn(c);
    send_next(c);
}

static const char* find_crlf(const char* p, const char* end) {
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n') return p;
    return NULL;
}

/* Parses the head in c->buf if complete; returns bytes consumed, 0 if incomplete, -1 if bad. */
static long parse_head(struct conn* c) {
    const char *start = c->buf, *end = c->buf + c->len;
    const char* head_end = memmem(start, c->len, "\r\n\r\n", 4);
    if (!head_end) return c->len >= BUF_BYTES ? -1 : 0;
    if (c->len < 12 || memcmp(start, "HTTP/1.", 7) != 0) return -1;
    c->status = atoi(start + 9);
    c->kind = BODY_LENGTH;
    c->remaining = 0;
    c->server_closes = 0;
    const char* line = find_crlf(start, end) + 2;
    while (line < head_end + 2) {
        const char* eol = find_crlf(line, end);
        size_t n = (size_t)(eol - line);
        if (n > 15 && strncasecmp(line, "Content-Length:", 15) == 0)
            c->remaining = strtoull(line + 15, NULL, 10);
        else if (n > 18 && strncasecmp(line, "Transfer-Encoding:", 18) == 0)
            c->kind = BODY_CHUNKED, c->chunk = CH_SIZE;
        else if (n > 11 && strncasecmp(line, "Connection:", 11) == 0 && memmem(line, n, "close", 5))
            c->server_closes = 1;
        line = eol + 2;
    }
    c->head_done = 1;
    return (long)(head_end + 4 - start);
}

/* Consumes body bytes from c->buf; returns 1 when the response is complete, -1 if malformed. */
static int consume_body(struct conn* c) {
    size_t pos = 0;
    int done = 0;
    while (!done) {
        if (c->kind == BODY_LENGTH || c->chunk == CH_DATA) {
            size_t take = c->len - pos;
            if (take > c->remaining) take = (size_t)c->remaining;
            c->remaining -= take;
            c->body_bytes += take;
            pos += take;
            if (c->remaining > 0) break;
            if (c->kind == BODY_LENGTH)
                done = 1;
            else
                c->chunk = CH_DATA_CRLF;
            continue;
        }
        const char* eol = find_crlf(c->buf + pos, c->buf + c->len);
        if (!eol) break;
        size_t line_len = (size_t)(eol - (c->buf + pos));
        if (c->chunk == CH_SIZE) {
            char* after;
            c->remaining = strtoull(c->buf + pos, &after, 16);
            if (after == c->buf + pos) return -1;
            c->chunk = c->remaining ? CH_DATA : CH_TRAILER;
        } else if (c->chunk == CH_DATA_CRLF) {
            if (line_len != 0) return -1;
            c->chunk = CH_SIZE;
        } else if (line_len == 0) { /* CH_TRAILER: the empty line ends the message */
            done = 1;
        }
        pos += line_len + 2;
    }
    memmove(c->buf, c->buf + pos, c->len - pos);
    c->len -= pos;
    return done;
}

static void on_readable(struct conn* c) {
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, BUF_BYTES - c->len, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) { /* EOF or reset */
            if (c->in_flight)
                response_done(c, 0);
            else
                close_conn(c), send_next(c);
            return;
        }
        c->len += (size_t)n;
        while (c->in_flight) {
            if (!c->head_done) {
                long used = parse_head(c);
                if (used < 0) {
                    response_done(c, 0);
                    return;
                }
                if (used == 0) break;
                memmove(c->buf, c->buf + used, c->len - (size_t)used);
                c->len -= (size_t)used;
            }
            int r = consume_body(c);
            if (r < 0) {
                response_done(c, 0);
                return;
            }
            if (r == 0) break;
            int fd = c->fd;
            response_done(c, 1);
            if (c->fd != fd) return; /* closed (and maybe reopened): its old bytes are gone */
        }
    }
}

int main(int argc, char** argv) {
    int conns = 1, opt;
    double hold = 0;
    while ((opt = getopt(argc, argv, "n:c:Cs:w:")) != -1) {
        switch (opt) {
            case 'w':
                hold = atof(optarg);
                break;
            case 'n':
                total = atol(optarg);
                break;
            case 'c':
                conns = atoi(optarg);
                break;
            case 'C':
                use_close = 1;
                break;
            case 's':
                expect_size = atol(optarg);
                break;
            default:
                goto usage;
        }
    }
    if (optind != argc - 2 || conns < 1 || conns > MAX_CONNS || total < 1) {
    usage:
        fprintf(stderr,
                "usage: %s [-n requests] [-c connections] [-C] [-s body_size] "
                "[-w seconds] HOST:PORT PATH\n",
                argv[0]);
        return 2;
    }
    char host[256];
    snprintf(host, sizeof host, "%s", argv[optind]);
    char* colon = strrchr(host, ':');
    if (!colon) goto usage;
    *colon = '\0';
    server.sin_family = AF_INET;
    server.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &server.sin_addr) != 1) goto usage;
    int w = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: fixed_load\r\n%s\r\n",
                     argv[optind + 1], argv[optind], use_close ? "Connection: close\r\n" : "");
    if (w < 0 || (size_t)w >= sizeof request) goto usage;
    request_len = (size_t)w;

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    struct conn* pool = calloc((size_t)conns, sizeof *pool);
    if (!pool) die("calloc");
    double t0 = now_s();
    for (int i = 0; i < conns; i++) {
        pool[i].fd = -1;
        send_next(&pool[i]);
    }
    struct epoll_event events[64];
    while (completed < total) {
        int n = epoll_wait(epfd, events, 64, 10000);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("epoll_wait");
        if (n == 0) {
            fprintf(stderr, "fixed_load: no progress for 10 s (%ld of %ld done)\n", completed,
                    total);
            errors += total - completed;
            break;
        }
        for (int i = 0; i < n; i++)
            on_readable(events[i].data.ptr);
    }
    double secs = now_s() - t0;
    if (hold > 0) {
        printf("ready\n");
        fflush(stdout);
        struct timespec ts = {(time_t)hold, (long)((hold - (double)(time_t)hold) * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    printf("requests=%ld errors=%ld seconds=%.3f req_s=%.0f body_bytes=%llu\n", completed, errors,
           secs, secs > 0 ? (double)completed / secs : 0.0, (unsigned long long)body_total);
    return errors ? 1 : 0;
}
