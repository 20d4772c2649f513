// CGI over real sockets, the child's life (issue 3, "Spawning and the child's life"): timeouts,
// SIGTERM then SIGKILL, client disconnects, backpressure, the child cap, resource limits, and no
// zombie or leaked descriptor left behind. Processes are watched through /proc with deadlines.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cgi_support.hpp"

using namespace cgikit::test;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A direct child of the server is done only once reaped: no /proc entry at all (a zombie counts
// as a leak).
bool reaped(pid_t pid) {
    return !process_stat(pid).has_value();
}

// Every child of the server ends and is reaped once its request is over.
void check_no_children_left(TestServer& server) {
    CHECK(eventually([&] { return child_processes(server.pid()).empty(); }, milliseconds(3000)));
    CHECK_FALSE(has_zombie(child_processes(server.pid())));
}

// The server's descriptor count once idle. The connection of a request that just ended closes a
// moment after its client's, so this is the lowest count seen over a short while.
int idle_fd_count(pid_t pid) {
    int lowest = count_open_fds(pid);
    for (int i = 0; i < 20; ++i) {
        std::this_thread::sleep_for(milliseconds(10));
        lowest = std::min(lowest, count_open_fds(pid));
    }
    return lowest;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// A blocking TCP client with a small receive buffer, set before connect so that the window stays
// small: a client that reads slowly, without the kernel buffering megabytes on its behalf.
class SlowClient {
  public:
    explicit SlowClient(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int size = 16 * 1024;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            throw std::runtime_error("connect failed");
        }
    }
    ~SlowClient() { ::close(fd_); }
    SlowClient(const SlowClient&) = delete;
    SlowClient& operator=(const SlowClient&) = delete;

    void send(const std::string& bytes) {
        REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(bytes.size()));
    }
    // Everything until the server closes (bounded by `timeout`).
    std::string read_all(milliseconds timeout) {
        std::string out;
        auto deadline = Clock::now() + timeout;
        while (true) {
            auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
            pollfd p{fd_, POLLIN, 0};
            if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
            char chunk[65536];
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) break;
            out.append(chunk, static_cast<std::size_t>(n));
        }
        return out;
    }

  private:
    int fd_ = -1;
};

// The payload of a chunked body; nullopt when the framing is broken or incomplete.
std::optional<std::string> dechunk(const std::string& body) {
    std::string out;
    std::size_t at = 0;
    while (true) {
        auto eol = body.find("\r\n", at);
        if (eol == std::string::npos) return std::nullopt;
        std::size_t size = std::stoul(body.substr(at, eol - at), nullptr, 16);
        if (body.size() < eol + 2 + size + 2) return std::nullopt;
        out.append(body, eol + 2, size);
        at = eol + 2 + size + 2;
        if (size == 0) return at == body.size() ? std::optional<std::string>(out) : std::nullopt;
    }
}

}  // namespace

// ------------------------------------------------------------------------------------- timeouts

TEST_CASE("CGI life: no output within cgi.timeout is 504, and the script is stopped",
          "[cgi][life][timeout]") {
    TempDir root;
    TestServer server(cgi_server(root, R"({"cgi": {"timeout": 0.5}})"));
    RawClient client(server.port());
    auto started = Clock::now();
    client.send(get("/cgi-bin/sleeper.sh"));
    pid_t pid = wait_for_cgi_child(server);
    REQUIRE(pid > 0);
    auto r = client.read_response(false, milliseconds(3000));
    REQUIRE(r);
    CHECK(r->status == 504);
    double elapsed = seconds_since(started);
    CHECK(elapsed >= 0.45);
    CHECK(elapsed < 1.5);
    // sleep dies of the SIGTERM that follows the timeout.
    CHECK(eventually([&] { return reaped(pid); }, milliseconds(1000)));
    CHECK(server.wait_for_stderr("sleeper.sh within the CGI timeout"));
    // The connection goes on.
    client.send(get("/cgi-bin/content_length.sh"));
    auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->body == "hello\n");
    check_no_children_left(server);
}

TEST_CASE("CGI life: silence after the headers past cgi.timeout cuts the connection",
          "[cgi][life][timeout]") {
    TempDir root;
    TestServer server(cgi_server(root, R"({"cgi": {"timeout": 0.5}})"));
    RawClient client(server.port());
    auto started = Clock::now();
    client.send(get("/cgi-bin/hold_stdout.sh"));
    pid_t pid = wait_for_cgi_child(server);
    REQUIRE(pid > 0);
    auto raw = client.read_until_close(milliseconds(3000));
    REQUIRE(raw);  // closed by the server
    INFO(*raw);
    double elapsed = seconds_since(started);
    CHECK(elapsed >= 0.45);
    CHECK(elapsed < 1.5);
    CHECK(raw->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(raw->find("Transfer-Encoding: chunked\r\n") != std::string::npos);
    // No last chunk: the client can tell the response is incomplete.
    CHECK(raw->find("\r\n0\r\n\r\n") == std::string::npos);
    CHECK(eventually([&] { return reaped(pid); }, milliseconds(1000)));
    check_no_children_left(server);
}

TEST_CASE("CGI life: endless stderr does not hold the worker: no output is still 504 in time",
          "[cgi][life][timeout]") {
    TempDir root;
    // One worker: whatever holds it holds the whole server.
    TestServer server(cgi_server(root, R"({"cgi": {"timeout": 0.3}})", 1));
    RawClient client(server.port());
    auto started = Clock::now();
    client.send(get("/cgi-bin/stderr_endless.sh"));
    auto r = client.read_response(false, milliseconds(5000));
    double elapsed = seconds_since(started);
    REQUIRE(r);
    CHECK(r->status == 504);
    // The flood lasts 3 s: a worker that reads stderr until the pipe is empty answers after it.
    CHECK(elapsed < 1.5);
    CHECK(server.wait_for_stderr("stderr_endless.sh: endless stderr"));
    client.send(get("/cgi-bin/content_length.sh"));
    auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->body == "hello\n");
    check_no_children_left(server);
}

TEST_CASE("CGI life: a script ignoring SIGTERM is killed after cgi.kill_grace",
          "[cgi][life][timeout]") {
    TempDir root;
    TempDir work;
    std::string marks = writable_dir(work, "marks");
    TestServer server(cgi_server(root, R"({"cgi": {"timeout": 0.3, "kill_grace": 0.8,
                                                   "env": {"MARK_DIR": ")" +
                                           marks + R"("}}})"));
    RawClient client(server.port());
    client.send(get("/cgi-bin/ignore_term.sh"));
    pid_t pid = wait_for_cgi_child(server);
    REQUIRE(pid > 0);
    auto r = client.read_response(false, milliseconds(3000));
    REQUIRE(r);
    CHECK(r->status == 504);
    auto timed_out = Clock::now();
    // SIGTERM first: the script notes it and carries on.
    REQUIRE(
        eventually([&] { return std::filesystem::exists(marks + "/term"); }, milliseconds(1000)));
    CHECK_FALSE(reaped(pid));
    // Then SIGKILL, no earlier than the grace allows.
    REQUIRE(eventually([&] { return reaped(pid); }, milliseconds(3000)));
    CHECK(seconds_since(timed_out) >= 0.5);
    CHECK(eventually([&] { return process_group_members(pid).empty(); }, milliseconds(1000)));
    check_no_children_left(server);
}

// ---------------------------------------------------------------------------- client disconnects

TEST_CASE("CGI life: a client that disconnects mid-request gets its script killed within 1 s",
          "[cgi][life][disconnect]") {
    TempDir root;
    TestServer server(cgi_server(root));
    pid_t pid;
    {
        RawClient client(server.port());
        client.send(get("/cgi-bin/sleeper.sh"));
        pid = wait_for_cgi_child(server);
        REQUIRE(pid > 0);
    }
    auto closed = Clock::now();
    CHECK(eventually([&] { return reaped(pid); }, milliseconds(1000)));
    CHECK(seconds_since(closed) < 1.0);
    CHECK(server.wait_for_stderr("client closed the connection while the CGI script ran"));
    CHECK(request(server.port(), get("/cgi-bin/content_length.sh")).status == 200);
    check_no_children_left(server);
}

TEST_CASE("CGI life: a client that disconnects mid-download gets its script killed within 1 s",
          "[cgi][life][disconnect]") {
    TempDir root;
    TestServer server(cgi_server(root));
    for (const char* script : {"big_output.sh", "hold_stdout.sh"}) {
        INFO(script);
        pid_t pid;
        {
            RawClient client(server.port());
            client.send(get(std::string("/cgi-bin/") + script));
            pid = wait_for_cgi_child(server);
            REQUIRE(pid > 0);
            // The head and the start of the body have arrived: the download is under way.
            auto started = Clock::now();
            std::string raw;
            while (raw.find("\r\n\r\n") == std::string::npos && seconds_since(started) < 2) {
                char chunk[4096];
                pollfd p{client.fd(), POLLIN, 0};
                if (::poll(&p, 1, 100) <= 0) continue;
                ssize_t n = ::recv(client.fd(), chunk, sizeof chunk, 0);
                if (n <= 0) break;
                raw.append(chunk, static_cast<std::size_t>(n));
            }
            REQUIRE(raw.find("\r\n\r\n") != std::string::npos);
        }
        auto closed = Clock::now();
        CHECK(eventually([&] { return reaped(pid); }, milliseconds(1000)));
        CHECK(seconds_since(closed) < 1.0);
    }
    check_no_children_left(server);
}

TEST_CASE("CGI life: disconnect and timeout stop the script's whole process group",
          "[cgi][life][disconnect]") {
    TempDir root;
    TestServer server(cgi_server(root, R"({"cgi": {"timeout": 0.4}})"));
    pid_t pid;
    {
        RawClient client(server.port());
        client.send(get("/cgi-bin/group_sleeper.sh"));
        pid = wait_for_cgi_child(server);
        REQUIRE(pid > 0);
        REQUIRE(eventually([&] { return process_group_members(pid).size() == 2; }));
    }
    CHECK(eventually([&] { return process_group_members(pid).empty(); }, milliseconds(1000)));
    // The group empties before the server has reaped its leader's zombie: wait for that too.
    CHECK(eventually([&] { return reaped(pid); }, milliseconds(1000)));

    RawClient client(server.port());
    client.send(get("/cgi-bin/group_sleeper.sh"));
    pid = wait_for_cgi_child(server);
    REQUIRE(pid > 0);
    REQUIRE(eventually([&] { return process_group_members(pid).size() == 2; }));
    auto r = client.read_response(false, milliseconds(3000));
    REQUIRE(r);
    CHECK(r->status == 504);
    CHECK(eventually([&] { return process_group_members(pid).empty(); }, milliseconds(1000)));
    check_no_children_left(server);
}

// ---------------------------------------------------------------------------------- backpressure

TEST_CASE("CGI life: a slow client keeps server memory bounded; the script waits on the pipe",
          "[cgi][life][memory]") {
    TempDir root;
    TestServer server(cgi_server(root, std::nullopt, 1));
    // Warm up the paths a CGI response takes, then measure.
    CHECK(request(server.port(), get("/cgi-bin/content_length.sh")).status == 200);
    long long rss_before = proc_number(server.pid(), "status", "VmRSS:");
    REQUIRE(rss_before > 0);

    SlowClient client(server.port());
    client.send(get("/cgi-bin/big_output.sh", "Connection: close\r\n"));
    pid_t pid = wait_for_cgi_child(server);
    REQUIRE(pid > 0);
    // Wait until the script stops making progress: it is blocked writing into a full pipe.
    long long written = -1;
    int unchanged = 0;
    bool stalled = eventually(
        [&] {
            long long now = proc_number(pid, "io", "wchar:");
            unchanged = (now == written && now > 0) ? unchanged + 1 : 0;
            written = now;
            return unchanged >= 40;  // ~200 ms without a byte written
        },
        milliseconds(5000));
    REQUIRE(stalled);
    const long long total = 16ll << 20;
    CHECK(written < total);  // the server did not read the rest into memory ...
    auto state = process_stat(pid);
    REQUIRE(state);
    CHECK(state->state != 'Z');  // still there, waiting for the pipe to drain
    long long rss_during = proc_number(server.pid(), "status", "VmRSS:");
    INFO("VmRSS before " << rss_before << " KiB, while stalled " << rss_during << " KiB");
    CHECK(rss_during - rss_before < 8 * 1024);  // ... nor anywhere near it

    // Reading on, the whole 16 MiB arrives, exact.
    std::string raw = client.read_all(milliseconds(20000));
    auto head_end = raw.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    auto body = dechunk(raw.substr(head_end + 4));
    REQUIRE(body);
    CHECK(body->size() == static_cast<std::size_t>(total));
    CHECK(body->find_first_not_of('\0') == std::string::npos);
    check_no_children_left(server);
}

// ----------------------------------------------------------------------------------- child slots

TEST_CASE("CGI life: beyond cgi.max_children a request waits for a slot, then runs",
          "[cgi][life][slots]") {
    TempDir root;
    TestServer server(
        cgi_server(root, R"({"cgi": {"max_children": 1, "timeout": 1, "queue_timeout": 5}})", 1));
    RawClient first(server.port());
    first.send(get("/cgi-bin/sleeper.sh"));
    pid_t pid = wait_for_cgi_child(server);
    REQUIRE(pid > 0);
    RawClient second(server.port());
    second.send(get("/cgi-bin/content_length.sh"));
    // The second waits while the first holds the only slot ...
    CHECK_FALSE(second.read_response(false, milliseconds(300)));
    CHECK(child_processes(server.pid()).size() == 1);
    // ... and runs once the first is over (its 504, its child reaped).
    auto first_response = first.read_response(false, milliseconds(3000));
    REQUIRE(first_response);
    CHECK(first_response->status == 504);
    auto second_response = second.read_response(false, milliseconds(3000));
    REQUIRE(second_response);
    CHECK(second_response->status == 200);
    CHECK(second_response->body == "hello\n");
    CHECK(reaped(pid));
    check_no_children_left(server);
}

TEST_CASE("CGI life: no slot within cgi.queue_timeout is 503", "[cgi][life][slots]") {
    TempDir root;
    TestServer server(cgi_server(root, R"({"cgi": {"max_children": 1, "queue_timeout": 0.3}})", 1));
    pid_t pid;
    {
        RawClient holder(server.port());
        holder.send(get("/cgi-bin/sleeper.sh"));
        pid = wait_for_cgi_child(server);
        REQUIRE(pid > 0);

        auto started = Clock::now();
        RawClient waiting(server.port());
        waiting.send(get("/cgi-bin/content_length.sh"));
        auto r = waiting.read_response(false, milliseconds(3000));
        REQUIRE(r);
        CHECK(r->status == 503);
        double elapsed = seconds_since(started);
        CHECK(elapsed >= 0.25);
        CHECK(elapsed < 1.5);
        CHECK_FALSE(reaped(pid));  // the holder was left alone

        // A waiting client that gives up leaves the queue cleanly.
        RawClient quitter(server.port());
        quitter.send(get("/cgi-bin/content_length.sh"));
    }
    CHECK(eventually([&] { return reaped(pid); }, milliseconds(1000)));
    // The slot is free again.
    CHECK(request(server.port(), get("/cgi-bin/content_length.sh")).status == 200);
    check_no_children_left(server);
}

// ---------------------------------------------------------------------- leftovers and rlimits

TEST_CASE("CGI life: a background grandchild is killed with the script's group", "[cgi][life]") {
    TempDir root;
    TestServer server(cgi_server(root));
    auto r = request(server.port(), get("/cgi-bin/forker.sh"));
    REQUIRE(r.status == 200);
    REQUIRE(r.body.rfind("grandchild ", 0) == 0);
    pid_t grandchild = static_cast<pid_t>(std::stol(r.body.substr(11)));
    REQUIRE(grandchild > 0);
    CHECK(eventually([&] { return process_gone(grandchild); }, milliseconds(2000)));
    check_no_children_left(server);
}

TEST_CASE("CGI life: a script living on after its response is stopped after cgi.kill_grace",
          "[cgi][life]") {
    TempDir root;
    TestServer server(cgi_server(root, R"({"cgi": {"kill_grace": 1}})"));
    RawClient client(server.port());
    auto started = Clock::now();
    client.send(get("/cgi-bin/linger.sh"));
    auto r = client.read_response(false, milliseconds(3000));
    REQUIRE(r);
    CHECK(r->body == "done\n");
    CHECK(seconds_since(started) < 0.9);  // the response ends with stdout, not with the script
    auto responded = Clock::now();
    pid_t pid = wait_for_cgi_child(server);
    REQUIRE(pid > 0);
    CHECK(eventually([&] { return reaped(pid); }, milliseconds(3000)));
    CHECK(seconds_since(responded) >= 0.6);  // it had its grace first
    check_no_children_left(server);
}

TEST_CASE("CGI life: cgi.rlimits apply to the script", "[cgi][life][rlimits]") {
    TempDir root;
    TestServer server(cgi_server(
        root, R"({"cgi": {"rlimits": {"open_files": 64, "processes": 500, "cpu_seconds": 7,
                                      "address_space_bytes": 1073741824}}})"));
    auto r = request(server.port(), get("/cgi-bin/limits.sh"));
    CHECK(r.status == 200);
    CHECK(r.body == "open_files 64\nprocesses 500\ncpu_seconds 7\naddress_space_kib 1048576\n");
}

TEST_CASE("CGI life: cgi.rlimits.processes stops a fork bomb; the server keeps serving",
          "[cgi][life][rlimits]") {
    TempDir root;
    TestServer server(cgi_server(root, R"({"cgi": {"rlimits": {"processes": 20}}})"));
    auto r = request(server.port(), get("/cgi-bin/fork_bomb.sh"));
    REQUIRE(r.status == 200);
    INFO(r.body);
    unsigned long script = 0, started = 0, failed = 0;
    REQUIRE(std::sscanf(r.body.c_str(), "pid %lu started %lu failed %lu", &script, &started,
                        &failed) == 3);
    CHECK(started + failed == 200);
    CHECK(started < 20);
    CHECK(failed > 180);
    CHECK(request(server.port(), get("/cgi-bin/content_length.sh")).body == "hello\n");
    // Whatever it started dies with its process group.
    CHECK(eventually([&] { return process_group_members(static_cast<pid_t>(script)).empty(); },
                     milliseconds(2000)));
    check_no_children_left(server);
}

// ------------------------------------------------------------------------ nothing left behind

TEST_CASE("CGI life: a script that never reads a large upload and a client leaving mid-upload",
          "[cgi][life][disconnect]") {
    TempDir root;
    TempDir work;
    std::string spool = writable_dir(work, "spool");
    TestServer server(cgi_server(root, small_spool_config(spool)));
    CHECK(request(server.port(), get("/cgi-bin/content_length.sh")).status == 200);
    const int baseline = idle_fd_count(server.pid());
    REQUIRE(baseline > 0);
    // The body is spooled before the script runs, so a script that exits without reading its
    // 2 MiB stdin neither blocks the client nor leaves the spool behind.
    auto r = request(server.port(),
                     post("/cgi-bin/content_length.sh", std::string(2 * 1024 * 1024, 'u')));
    CHECK(r.status == 200);
    CHECK(r.body == "hello\n");
    // Half an upload, then the client is gone: nothing runs, the spool file goes with it.
    {
        RawClient client(server.port());
        client.send(
            "POST /cgi-bin/touch_marker.sh HTTP/1.1\r\nHost: t\r\n"
            "Content-Length: 2097152\r\n\r\n" +
            std::string(1024 * 1024, 'h'));
    }
    CHECK(server.wait_for_stderr("client closed the connection mid-request"));
    CHECK(eventually([&] { return idle_fd_count(server.pid()) <= baseline; }, milliseconds(2000)));
    CHECK(std::filesystem::is_empty(spool));
    check_no_children_left(server);
    CHECK(request(server.port(), get("/cgi-bin/content_length.sh")).status == 200);
}

TEST_CASE("CGI life: after 50 mixed requests, no zombie, no leaked descriptor, still serving",
          "[cgi][life][leaks]") {
    TempDir root;
    TempDir work;
    std::string spool = writable_dir(work, "spool");
    TestServer server(cgi_server(root, R"({"limits": {"body_bytes": 100000},
                                          "cgi": {"timeout": 0.3, "kill_grace": 0.3,
                                                  "spool_memory_bytes": 1024,
                                                  "spool_dir": ")" +
                                           spool + R"("}})"));
    // Warm up (every worker is up once one request was served), then take the idle count.
    CHECK(request(server.port(), get("/cgi-bin/content_length.sh")).status == 200);
    const int baseline = idle_fd_count(server.pid());
    REQUIRE(baseline > 0);

    const std::string close = "Connection: close\r\n";
    const std::vector<std::string> batch = {
        get("/cgi-bin/content_length.sh", close),
        get("/cgi-bin/env.sh/x?y", close),
        get("/cgi-bin/bad_header.sh", close),
        get("/cgi-bin/no_output.sh", close),
        get("/cgi-bin/crasher.sh", close),
        get("/cgi-bin/crasher_after_headers.sh", close),
        get("/cgi-bin/exit_nonzero.sh", close),
        get("/cgi-bin/missing.sh", close),
        get("/cgi-bin/not_executable.sh", close),
        post("/cgi-bin/echo.sh", pseudo_random_bytes(5000), close),  // spooled to a file
        post("/cgi-bin/stdin_len.sh", "small", close),               // kept in memory
        post("/cgi-bin/echo.sh", std::string(200000, 'x'), close),   // 413
        get("/cgi-bin/nph-hello.sh", close),
        get("/cgi-bin/location_loop.sh", close),
        get("/cgi-bin/forker.sh", close),
        get("/cgi-bin/content_length_liar.sh", close),
        get("/cgi-bin/content_length_overrun.sh", close),
        get("/cgi-bin/transfer_encoding.sh", close),
        get("/cgi-bin/stderr_lines.sh?leak", close),
        get("/cgi-bin/status.sh?abc", close),
    };
    int sent = 0;
    for (std::size_t i = 0; sent < 46; ++i, ++sent) {
        INFO(batch[i % batch.size()].substr(0, 60));
        RawClient client(server.port());
        client.send(batch[i % batch.size()]);
        auto raw = client.read_until_close(milliseconds(3000));
        REQUIRE(raw);
        CHECK(raw->rfind("HTTP/1.1 ", 0) == 0);
    }
    // Two timeouts (504) and two abandoned requests.
    for (int i = 0; i < 2; ++i, ++sent) {
        RawClient client(server.port());
        client.send(get("/cgi-bin/sleeper.sh"));
        auto r = client.read_response(false, milliseconds(2000));
        REQUIRE(r);
        CHECK(r->status == 504);
    }
    for (int i = 0; i < 2; ++i, ++sent) {
        RawClient client(server.port());
        client.send(get("/cgi-bin/sleeper.sh"));
        REQUIRE(eventually([&] { return !child_processes(server.pid()).empty(); }));
    }
    CHECK(sent == 50);

    check_no_children_left(server);
    int now = baseline;
    CHECK(eventually(
        [&] {
            now = count_open_fds(server.pid());
            return now <= baseline;
        },
        milliseconds(3000)));
    INFO("descriptors at start " << baseline << ", after the batch " << now);
    CHECK(now == baseline);
    CHECK(std::filesystem::is_empty(spool));
    CHECK(request(server.port(), get("/cgi-bin/content_length.sh")).body == "hello\n");
}

TEST_CASE("CGI life: stderr written just before the exit is logged, whatever event comes first",
          "[cgi][life][log]") {
    // The end of stdout usually ends the exchange before the stderr pipe's own event is handled:
    // what the script wrote there last must still be read, not lost with the pipe.
    TempDir root;
    TempDir bin;
    bin.write("last_words.sh",
              "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n"
              "printf 'last words %s\\n' \"$QUERY_STRING\" >&2\n",
              0755);
    auto options = cgi_server(root);
    options.extra_args = {"--cgi-bin", "/bin/=" + bin.path()};
    TestServer server(options);
    RawClient client(server.port());
    constexpr int kRequests = 20;
    for (int i = 0; i < kRequests; ++i) {
        client.send(get("/bin/last_words.sh?" + std::to_string(i)));
        auto r = client.read_response(false, milliseconds(5000));
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body == "ok\n");
    }
    for (int i = 0; i < kRequests; ++i) {
        INFO(i);
        CHECK(server.wait_for_stderr("last_words.sh: last words " + std::to_string(i) + "\n"));
    }
    check_no_children_left(server);
}
