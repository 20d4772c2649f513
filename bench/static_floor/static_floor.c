// bench/static_floor — the least a keep-alive static server can do per request on this machine.
//
// The static twin of spawn_floor: one thread, one epoll set (level-triggered), and per request
// exactly what cgikitd does on its fast path: one recv() that brings the request, one send() of
// a response prepared at start-up (a head like cgikitd's, then the file's bytes), and an
// epoll_wait() when no connection has anything to read. No parsing beyond finding the blank line
// that ends a head, no path lookup, no Date update, no logging, no timers. Whatever a real server
// costs above this is its own work; what this costs is the kernel's (TCP, loopback delivery to
// the client, the syscalls themselves), which every server pays.
//
// Not a server: every request, whatever its method or path, gets the same 200 and the same bytes.
// Usage: static_floor PORT FILE   (listens on 127.0.0.1:PORT; FILE at most 64 KiB)
#define _GNU_SOURCE  // accept4
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

enum { kMaxFile = 64 * 1024, kMaxEvents = 256, kRequestBuffer = 16 * 1024, kMaxFds = 65536 };

static char response[kMaxFile + 512];
static size_t response_size;

// Per connection: how much of the "\r\n\r\n" that ends a head the last bytes read matched (0-3),
// so that a head split across reads is still counted once.
static unsigned char matched[kMaxFds];

static void die(const char* what) {
    perror(what);
    exit(1);
}

static void load_response(const char* path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(path);
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size > kMaxFile) die("file too large or unreadable");
    int head = snprintf(response, sizeof response,
                        "HTTP/1.1 200 OK\r\n"
                        "Server: static_floor\r\n"
                        "Date: Sat, 21 Nov 2026 00:00:00 GMT\r\n"
                        "Content-Type: application/octet-stream\r\n"
                        "Content-Length: %lld\r\n"
                        "Last-Modified: Sat, 21 Nov 2026 00:00:00 GMT\r\n"
                        "ETag: \"0123456789abcdef-0400\"\r\n"
                        "Accept-Ranges: bytes\r\n"
                        "\r\n",
                        (long long)st.st_size);
    ssize_t got = read(fd, response + head, (size_t)st.st_size);
    if (got != st.st_size) die("short read");
    response_size = (size_t)head + (size_t)got;
    close(fd);
}

// Counts the request heads that end in buf[0, n), carrying the partial match of the terminator.
static int count_heads(const char* buf, size_t n, unsigned char* match) {
    static const char kEnd[] = "\r\n\r\n";
    int heads = 0;
    unsigned char m = *match;
    for (size_t i = 0; i < n; ++i) {
        if (buf[i] == kEnd[m]) {
            if (++m == 4) {
                ++heads;
                m = 0;
            }
        } else {
            m = buf[i] == '\r' ? 1 : 0;
        }
    }
    *match = m;
    return heads;
}

static void serve(int epfd, int fd) {
    static char buf[kRequestBuffer];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        return;
    }
    int heads = count_heads(buf, (size_t)n, &matched[fd]);
    for (int i = 0; i < heads; ++i) {
        size_t sent = 0;
        while (sent < response_size) {  // 1 KiB fits a socket buffer: this loops once
            ssize_t w = send(fd, response + sent, response_size - sent, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN) continue;  // never at this size; spin rather than lose bytes
                epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
                return;
            }
            sent += (size_t)w;
        }
    }
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT FILE\n", argv[0]);
        return 2;
    }
    load_response(argv[2]);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener < 0) die("socket");
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(listener, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // inherited by accepted
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((unsigned short)atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr*)&addr, sizeof addr) != 0) die("bind");
    if (listen(listener, 4096) != 0) die("listen");
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev) != 0) die("epoll_ctl");
    struct epoll_event events[kMaxEvents];
    for (;;) {
        int ready = epoll_wait(epfd, events, kMaxEvents, -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < ready; ++i) {
            int fd = events[i].data.fd;
            if (fd != listener) {
                serve(epfd, fd);
                continue;
            }
            for (;;) {
                int client = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (client < 0) break;
                if (client >= kMaxFds) {
                    close(client);
                    continue;
                }
                matched[client] = 0;
                struct epoll_event cev = {.events = EPOLLIN, .data.fd = client};
                epoll_ctl(epfd, EPOLL_CTL_ADD, client, &cev);
            }
        }
    }
}
