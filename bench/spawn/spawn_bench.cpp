// spawn_bench: ChildProcess::spawn on the CGI floor's loop, for comparison with
// ../shared/bench/spawn_floor.c. Each iteration does what the server does per CGI request minus
// HTTP: spawn (stdout + stderr pipes, pidfd, process group, signal reset, RLIMIT_CORE 0, chdir),
// stdin from /dev/null (an empty body), read stdout to EOF (poll), wait for the pidfd, reap.
// spawn_floor's loop: two pipes, spawn, read to EOF, waitpid.
//
// usage: spawn_bench [-d seconds] [-c cpu] PROGRAM
// Output: one line of key=value pairs in spawn_floor's format (method=cgikit).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "handlers/child_process.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// spawn_floor's environment, so both pass the same bytes to execve.
const std::vector<std::string> kEnvironment = {"GATEWAY_INTERFACE=CGI/1.1",
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
                                               "PATH=/usr/local/bin:/usr/bin:/bin"};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "spawn_bench: %s\n", what.c_str());
    std::exit(2);
}

void wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, -1) < 0) {
        if (errno != EINTR) die("poll");
    }
}

// One CGI round trip; returns the number of stdout bytes.
long one_spawn(const cgikit::handlers::SpawnRequest& request) {
    auto result = cgikit::handlers::ChildProcess::spawn(request);
    if (!result.child) {
        die(std::string(result.failed_step) + ": " + result.error.message());
    }
    cgikit::handlers::ChildProcess& child = *result.child;
    const int out = child.stdout_fd().get();
    char buffer[4096];
    long total = 0;
    for (;;) {
        const ssize_t n = ::read(out, buffer, sizeof buffer);
        if (n > 0) {
            total += n;
        } else if (n == 0) {
            break;
        } else if (errno == EAGAIN) {
            wait_readable(out);
        } else if (errno != EINTR) {
            die("read");
        }
    }
    std::optional<int> status;
    while (!(status = child.try_reap()))
        wait_readable(child.pidfd());
    if (*status != 0) die("child failed: " + cgikit::handlers::describe_wait_status(*status));
    return total;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 3.0;
    int cpu = -1;
    int option;
    while ((option = ::getopt(argc, argv, "d:c:")) != -1) {
        switch (option) {
            case 'd':
                seconds = std::atof(optarg);
                break;
            case 'c':
                cpu = std::atoi(optarg);
                break;
            default:
                die("usage: spawn_bench [-d seconds] [-c cpu] PROGRAM");
        }
    }
    if (optind != argc - 1) die("usage: spawn_bench [-d seconds] [-c cpu] PROGRAM");
    const std::string program = argv[optind];
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (::sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
    }

    cgikit::net::unique_fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    cgikit::handlers::SpawnRequest request;
    request.program = program;
    request.argv = {program};
    request.envp = kEnvironment;
    request.working_directory = program.substr(0, program.rfind('/') + 1);
    if (request.working_directory.empty()) request.working_directory = ".";
    request.stdin_fd = null.get();

    const long expected = one_spawn(request);  // warm up, learn the size
    std::vector<double> latencies_us;
    latencies_us.reserve(1 << 20);
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    long bad = 0;
    for (auto t = start; t < end;) {
        if (one_spawn(request) != expected) ++bad;
        const auto t1 = Clock::now();
        latencies_us.push_back(std::chrono::duration<double, std::micro>(t1 - t).count());
        t = t1;
    }
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    double sum = 0;
    for (double l : latencies_us)
        sum += l;
    std::sort(latencies_us.begin(), latencies_us.end());
    const std::size_t n = latencies_us.size();
    std::printf(
        "method=cgikit workers=1 cpu=%d rss_mib=0 prog=%s spawns=%zu wall_s=%.2f "
        "spawns_per_s=%.0f mean_us=%.1f p50_us=%.1f p99_us=%.1f bad=%ld\n",
        cpu, program.c_str(), n, wall, static_cast<double>(n) / wall, sum / static_cast<double>(n),
        latencies_us[n / 2], latencies_us[(n * 99) / 100], bad);
    return bad != 0 ? 1 : 0;
}
