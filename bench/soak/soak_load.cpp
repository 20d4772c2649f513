// soak_load: mixed traffic against a cgikitd on loopback for a fixed time, for scripts/soak.sh.
// Each client thread loops over weighted scenarios and checks every answer:
//   static    keep-alive GET/HEAD/range/conditional/404 on one connection
//   pipeline  three requests in one write, three answers in order
//   cgi_get   GET of the environment dumper                         -> 200
//   cgi_post  POST of 0..256 KiB to the echo script                  -> 200, same bytes back
//   cgi_fail  a script that crashes or prints nothing                -> 502
//   malformed smuggling / strict-syntax requests                     -> 4xx and a closed connection
//   abort     a client that leaves mid-head, mid-upload or mid-download (nothing to check but the
//             server's health, which soak.sh samples)
// Prints one line of key=value totals; exits 1 if any answer was wrong, 2 on bad usage.
//
// Usage: soak_load --port P --seconds N [--clients C] [--seed S]
// The docroot must hold index.html ("<h1>soak</h1>\n"), small.txt ("small\n") and big.bin
// (262144 bytes of 'b'); /cgi-bin/ must map to tests/fixtures/cgi-bin.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kBigSize = 262144;
// A server that takes this long for one answer is as good as wrong.
constexpr int kSocketTimeoutSeconds = 15;

enum Scenario { Static, Pipeline, CgiGet, CgiPost, CgiFail, Malformed, Abort, kScenarios };
constexpr const char* kNames[kScenarios] = {"static",   "pipeline",  "cgi_get", "cgi_post",
                                            "cgi_fail", "malformed", "abort"};
// Relative frequencies: mostly static, CGI often enough to churn children and spool files.
constexpr int kWeights[kScenarios] = {30, 10, 15, 15, 5, 15, 10};

std::uint16_t g_port = 0;
std::atomic<std::uint64_t> g_runs[kScenarios];
std::atomic<std::uint64_t> g_wrong[kScenarios];
std::atomic<std::uint64_t> g_requests{0};
std::atomic<int> g_reported{0};

class Connection {
  public:
    Connection() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        timeval tv{kSocketTimeoutSeconds, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(g_port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~Connection() { ::close(fd_); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    bool connected() const noexcept { return connected_; }

    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    struct Response {
        int status = 0;
        std::string head;
        std::string body;
        bool close = false;
    };

    // One response; `head_only` for HEAD (no body follows).
    std::optional<Response> read_response(bool head_only = false) {
        Response r;
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) return std::nullopt;
        }
        r.head = buffer_.substr(0, end + 2);
        buffer_.erase(0, end + 4);
        if (r.head.rfind("HTTP/1.1 ", 0) != 0 || r.head.size() < 12) return std::nullopt;
        r.status = std::atoi(r.head.c_str() + 9);
        r.close = header_is(r.head, "connection", "close");
        if (r.status == 100) return read_response(head_only);
        if (head_only || r.status == 204 || r.status == 304) return r;
        if (header_is(r.head, "transfer-encoding", "chunked")) {
            while (true) {
                std::size_t eol;
                while ((eol = buffer_.find("\r\n")) == std::string::npos) {
                    if (!fill()) return std::nullopt;
                }
                std::size_t size = std::strtoul(buffer_.c_str(), nullptr, 16);
                while (buffer_.size() < eol + 2 + size + 2) {
                    if (!fill()) return std::nullopt;
                }
                r.body.append(buffer_, eol + 2, size);
                buffer_.erase(0, eol + 2 + size + 2);
                if (size == 0) return r;
            }
        }
        auto length = header_value(r.head, "content-length");
        if (!length) {
            while (fill()) {
            }
            r.body = std::move(buffer_);
            buffer_.clear();
            return r;
        }
        std::size_t size = std::strtoul(length->c_str(), nullptr, 10);
        while (buffer_.size() < size) {
            if (!fill()) return std::nullopt;
        }
        r.body = buffer_.substr(0, size);
        buffer_.erase(0, size);
        return r;
    }

    // Waits for the first bytes of an answer (or EOF).
    void receive_some() { fill(); }

    // True if the server closes the connection with nothing more to say.
    bool closed_by_server() {
        while (fill()) {
        }
        return eof_ && buffer_.empty();
    }

    static std::optional<std::string> header_value(const std::string& head, std::string name) {
        std::string lower = head;
        for (auto& c : lower)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto at = lower.find("\r\n" + name + ": ");
        if (at == std::string::npos) return std::nullopt;
        at += name.size() + 4;
        return head.substr(at, head.find("\r\n", at) - at);
    }
    static bool header_is(const std::string& head, std::string name, std::string value) {
        auto v = header_value(head, std::move(name));
        if (!v || v->size() != value.size()) return false;
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (std::tolower(static_cast<unsigned char>((*v)[i])) != value[i]) return false;
        }
        return true;
    }

  private:
    bool fill() {
        if (eof_) return false;
        char buf[65536];
        ssize_t n;
        do {
            n = ::recv(fd_, buf, sizeof buf, 0);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            eof_ = true;  // EOF, reset or timeout
            return false;
        }
        buffer_.append(buf, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
    std::string buffer_;
};

std::string get(const std::string& target, const std::string& extra = "") {
    return "GET " + target + " HTTP/1.1\r\nHost: soak\r\n" + extra + "\r\n";
}

// Reports the first few wrong answers in detail; the totals say how many there were.
bool wrong(Scenario s, const std::string& what) {
    if (g_reported.fetch_add(1) < 10)
        std::fprintf(stderr, "soak_load: %s: %s\n", kNames[s], what.c_str());
    return false;
}

bool expect(Scenario s, const std::optional<Connection::Response>& r, int status,
            const char* what) {
    ++g_requests;
    if (!r) return wrong(s, std::string(what) + ": no response");
    if (r->status != status)
        return wrong(s, std::string(what) + ": status " + std::to_string(r->status) + " (wanted " +
                            std::to_string(status) + ")");
    return true;
}

bool run_static(std::mt19937& rng) {
    Connection c;
    if (!c.connected()) return wrong(Static, "connect failed");
    std::string last_modified;
    int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
        switch (rng() % 6) {
            case 0: {
                c.send(get("/"));
                auto r = c.read_response();
                if (!expect(Static, r, 200, "GET /")) return false;
                if (r->body != "<h1>soak</h1>\n") return wrong(Static, "index body");
                last_modified = Connection::header_value(r->head, "last-modified").value_or("");
                break;
            }
            case 1: {
                c.send("HEAD /big.bin HTTP/1.1\r\nHost: soak\r\n\r\n");
                auto r = c.read_response(true);
                if (!expect(Static, r, 200, "HEAD /big.bin")) return false;
                break;
            }
            case 2: {
                c.send(get("/big.bin"));
                auto r = c.read_response();
                if (!expect(Static, r, 200, "GET /big.bin")) return false;
                if (r->body.size() != kBigSize) return wrong(Static, "big body size");
                break;
            }
            case 3: {
                std::size_t first = rng() % kBigSize;
                std::size_t last = std::min(kBigSize - 1, first + rng() % 5000);
                c.send(get("/big.bin", "Range: bytes=" + std::to_string(first) + "-" +
                                           std::to_string(last) + "\r\n"));
                auto r = c.read_response();
                if (!expect(Static, r, 206, "range")) return false;
                if (r->body.size() != last - first + 1) return wrong(Static, "range size");
                break;
            }
            case 4: {
                if (last_modified.empty()) continue;
                c.send(get("/", "If-Modified-Since: " + last_modified + "\r\n"));
                if (!expect(Static, c.read_response(), 304, "conditional")) return false;
                break;
            }
            case 5: {
                c.send(get("/missing-" + std::to_string(rng() % 1000)));
                if (!expect(Static, c.read_response(), 404, "404")) return false;
                break;
            }
        }
    }
    return true;
}

bool run_pipeline(std::mt19937&) {
    Connection c;
    if (!c.connected()) return wrong(Pipeline, "connect failed");
    c.send(get("/small.txt") + "HEAD / HTTP/1.1\r\nHost: soak\r\n\r\n" +
           get("/small.txt", "Connection: close\r\n"));
    auto a = c.read_response();
    if (!expect(Pipeline, a, 200, "first") || a->body != "small\n") return false;
    if (!expect(Pipeline, c.read_response(true), 200, "second")) return false;
    auto b = c.read_response();
    if (!expect(Pipeline, b, 200, "third") || !b->close) return false;
    if (!c.closed_by_server()) return wrong(Pipeline, "not closed after Connection: close");
    return true;
}

bool run_cgi_get(std::mt19937& rng) {
    Connection c;
    if (!c.connected()) return wrong(CgiGet, "connect failed");
    c.send(get("/cgi-bin/env.sh/extra?q=" + std::to_string(rng() % 100)));
    auto r = c.read_response();
    if (!expect(CgiGet, r, 200, "env.sh")) return false;
    if (r->body.find("GATEWAY_INTERFACE=CGI/1.1") == std::string::npos)
        return wrong(CgiGet, "env.sh body");
    return true;
}

bool run_cgi_post(std::mt19937& rng) {
    Connection c;
    if (!c.connected()) return wrong(CgiPost, "connect failed");
    // Mostly small bodies (memory spool), sometimes large ones (temp file spool).
    std::size_t size = rng() % 4 == 0 ? rng() % (256 * 1024) : rng() % 4096;
    std::string body(size, '\0');
    for (auto& ch : body)
        ch = static_cast<char>('a' + rng() % 26);
    c.send("POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: soak\r\nContent-Length: " +
           std::to_string(size) + "\r\n\r\n");
    c.send(body);
    auto r = c.read_response();
    if (!expect(CgiPost, r, 200, "echo.sh")) return false;
    if (r->body != body) return wrong(CgiPost, "echo.sh body differs");
    return true;
}

bool run_cgi_fail(std::mt19937& rng) {
    Connection c;
    if (!c.connected()) return wrong(CgiFail, "connect failed");
    c.send(get(rng() % 2 == 0 ? "/cgi-bin/crasher.sh" : "/cgi-bin/no_output.sh"));
    return expect(CgiFail, c.read_response(), 502, "failing script");
}

bool run_malformed(std::mt19937& rng) {
    using namespace std::string_literals;
    static const std::vector<std::string> requests = {
        "POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 6\r\nTransfer-Encoding: "
        "chunked\r\n\r\n0\r\n\r\nG",
        "POST / HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\nContent-Length: "
        "3\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
        "POST / HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: \x0b"
        "chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
        "GET / HTTP/1.1\r\nHost: s\r\nX: a\0b\r\n\r\n"s,
        "GET / HTTP/1.1\rHost: s\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"s,
    };
    Connection c;
    if (!c.connected()) return wrong(Malformed, "connect failed");
    const std::string& request = requests[rng() % requests.size()];
    c.send(request + get("/small.txt"));
    auto r = c.read_response();
    ++g_requests;
    if (!r) return wrong(Malformed, "no response");
    if (r->status < 400 || r->status > 599)
        return wrong(Malformed, "status " + std::to_string(r->status));
    if (r->status == 400 && !c.closed_by_server())
        return wrong(Malformed, "answered what followed a refused request");
    return true;
}

bool run_abort(std::mt19937& rng) {
    Connection c;
    if (!c.connected()) return wrong(Abort, "connect failed");
    switch (rng() % 3) {
        case 0:  // mid-head
            c.send("GET /index.html HTTP/1.1\r\nHost: so");
            break;
        case 1:  // mid-upload to a script
            c.send(
                "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: soak\r\nContent-Length: 100000\r\n\r\n");
            c.send(std::string(10000, 'u'));
            break;
        case 2: {  // mid-download of a large script output
            c.send(get("/cgi-bin/big_output.sh"));
            c.receive_some();
            break;
        }
    }
    ++g_requests;
    return true;  // the connection closes here, abruptly
}

bool run(Scenario s, std::mt19937& rng) {
    switch (s) {
        case Static:
            return run_static(rng);
        case Pipeline:
            return run_pipeline(rng);
        case CgiGet:
            return run_cgi_get(rng);
        case CgiPost:
            return run_cgi_post(rng);
        case CgiFail:
            return run_cgi_fail(rng);
        case Malformed:
            return run_malformed(rng);
        case Abort:
            return run_abort(rng);
        case kScenarios:
            break;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    int seconds = 0, clients = 6;
    unsigned seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        int value = std::atoi(argv[i + 1]);
        if (flag == "--port")
            g_port = static_cast<std::uint16_t>(value);
        else if (flag == "--seconds")
            seconds = value;
        else if (flag == "--clients")
            clients = value;
        else if (flag == "--seed")
            seed = static_cast<unsigned>(value);
    }
    if (g_port == 0 || seconds <= 0 || clients <= 0) {
        std::fprintf(stderr, "usage: soak_load --port P --seconds N [--clients C] [--seed S]\n");
        return 2;
    }
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([t, seed, deadline] {
            std::mt19937 rng(seed * 7919 + static_cast<unsigned>(t));
            std::discrete_distribution<int> pick(std::begin(kWeights), std::end(kWeights));
            while (Clock::now() < deadline) {
                auto s = static_cast<Scenario>(pick(rng));
                ++g_runs[s];
                if (!run(s, rng)) ++g_wrong[s];
            }
        });
    }
    for (auto& t : threads)
        t.join();

    std::uint64_t wrong_total = 0;
    std::printf("requests=%llu", static_cast<unsigned long long>(g_requests.load()));
    for (int s = 0; s < kScenarios; ++s) {
        std::printf(" %s=%llu", kNames[s], static_cast<unsigned long long>(g_runs[s].load()));
        wrong_total += g_wrong[s];
    }
    std::printf(" wrong=%llu\n", static_cast<unsigned long long>(wrong_total));
    return wrong_total == 0 ? 0 : 1;
}
