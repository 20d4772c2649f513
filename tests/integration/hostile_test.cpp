// Hostile clients (issue 7), against the real cgikitd over real sockets:
//  - request smuggling and strict syntax: every ambiguous framing (CL.TE, TE.CL, duplicate or
//    invalid Content-Length, Transfer-Encoding obfuscated with control bytes, spaces, tabs, 0xA0,
//    0xFF, obs-fold continuation lines, invalid or overflowing chunk sizes and extensions, bare CR,
//    NUL) is refused with a 4xx/5xx and a closed connection, and the request pipelined behind it
//    is never answered; unusual but valid framings are accepted and framed exactly;
//  - slowloris: 1,000 connections trickling a head do not delay normal requests and are closed by
//    the header timeout;
//  - idle keep-alive connections beyond limits.connections are shed oldest-first;
//  - descriptor exhaustion (low RLIMIT_NOFILE): no spinning on accept, answers what it can,
//    recovers;
//  - a full CGI spool directory: a clear 5xx and a log line.
// Misbehaving CGI scripts (crash, hang, floods, disconnects) are in cgi_lifecycle_test.cpp.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "site.hpp"
#include "test_server.hpp"

using namespace cgikit::test;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// In every test's root: what a smuggled request would fetch; it must never show up in any answer.
const SiteFile kSmuggledFile = {"smuggled.txt", "SMUGGLED\n"};

// Limits small enough that an overflowing chunk size or length is also over the body limit.
const std::string kStrictConfig = R"({
    "limits": {"body_bytes": 4096},
    "timeouts": {"header_read": 1}
})";

const std::string kPost = "POST /hello.txt HTTP/1.1\r\nHost: t\r\n";
const std::string kSmuggled = "GET /smuggled.txt HTTP/1.1\r\nHost: t\r\n\r\n";
// Pipelined behind every refused request, in the same write.
const std::string kFollowUp = "GET /smuggled.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

// One descriptor we own; raw sockets for the many-connection cases.
class Fd {
  public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        reset(std::exchange(other.fd_, -1));
        return *this;
    }
    ~Fd() { reset(); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }
    int get() const noexcept { return fd_; }

  private:
    int fd_;
};

// A connected, non-blocking loopback TCP socket.
Fd connect_to(std::uint16_t port) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        throw std::runtime_error("connect: " + std::string(std::strerror(errno)));
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
    return fd;
}

void send_some(int fd, std::string_view bytes) {
    [[maybe_unused]] ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

// Reads what is there without blocking; true once the peer has closed (EOF or reset).
bool drain(int fd, std::string& into) {
    char buf[4096];
    while (true) {
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            into.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
}

// Raises this process's descriptor limit (the server inherits it) to at least `wanted`.
rlim_t raise_fd_limit(rlim_t wanted) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur >= wanted) return limit.rlim_cur;
    limit.rlim_cur = wanted;
    if (limit.rlim_max < wanted) limit.rlim_max = wanted;  // needs CAP_SYS_RESOURCE
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        ::getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

// utime + stime of `pid`, in seconds.
double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = content.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(content.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    // Fields 3..13 (state .. cmajflt), then 14 utime and 15 stime.
    for (int i = 3; i <= 13; ++i)
        rest >> field;
    rest >> utime >> stime;
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::size_t count_occurrences(const std::string& haystack, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + needle.size()))
        ++count;
    return count;
}

double percentile(std::vector<double> samples, double p) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    auto index = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1) + 0.5);
    return samples[std::min(index, samples.size() - 1)];
}

// One request answered: the workers are up and every descriptor of the idle server is open.
int idle_fds(TestServer& server) {
    request(server.port(), "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    return count_open_fds(server.pid());
}

// ------------------------------------------------------------------------------------------------
// Smuggling corpus

struct Refused {
    const char* what;
    std::string request;
    std::set<int> statuses;  // any of these is right (most cases: exactly 400)
};

const std::set<int> k400{400};
const std::set<int> k400or413{400, 413};
const std::set<int> k400or501{400, 501};

std::string te(const std::string& field_lines, const std::string& body = "0\r\n\r\n") {
    return kPost + field_lines + "\r\n" + body;
}
std::string chunked(const std::string& body) {
    return kPost + "Transfer-Encoding: chunked\r\n\r\n" + body;
}
std::string get_with(const std::string& field_lines) {
    return "GET /hello.txt HTTP/1.1\r\nHost: t\r\n" + field_lines + "\r\n";
}

// Framing conflicts and obfuscated framing fields: whichever way an intermediary read them, one of
// the readings smuggles `kSmuggled`; the only safe answer is to refuse the message.
std::vector<Refused> framing_cases() {
    const std::string smuggle_body = "0\r\n\r\n" + kSmuggled;
    const std::string length = std::to_string(smuggle_body.size());
    return {
        // CL.TE and TE.CL (RFC 9112 §6.1: both present -> may be an attack; we refuse).
        {"CL.TE",
         te("Content-Length: " + length + "\r\nTransfer-Encoding: chunked\r\n", smuggle_body),
         k400},
        {"TE.CL", te("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", smuggle_body), k400},
        {"CL 0 + TE", te("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"), k400},
        {"TE.TE chunked then identity",
         te("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"), k400},
        {"TE.TE identity then chunked",
         te("Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n"), k400or501},
        {"TE chunked twice (two fields)",
         te("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), k400or501},
        {"TE chunked twice (one list)", te("Transfer-Encoding: chunked, chunked\r\n"), k400or501},
        {"TE xchunked", te("Transfer-Encoding: xchunked\r\n"), k400},
        {"TE chunkedx", te("Transfer-Encoding: chunkedx\r\n"), k400},
        {"TE quoted", te("Transfer-Encoding: \"chunked\"\r\n"), k400},
        {"TE with a parameter", te("Transfer-Encoding: chunked;q=1\r\n"), k400or501},
        // Obfuscation around the name.
        {"SP before the colon", te("Transfer-Encoding : chunked\r\n"), k400},
        {"HTAB before the colon", te("Transfer-Encoding\t: chunked\r\n"), k400},
        {"0xA0 before the colon", te("Transfer-Encoding\xa0: chunked\r\n"), k400},
        {"0xFF in the name", te("Transfer\xff-Encoding: chunked\r\n"), k400},
        {"0xA0 before the name", te("\xa0Transfer-Encoding: chunked\r\n"), k400},
        {"NUL in the name", te("Transfer-Encoding\0: chunked\r\n"s), k400},
        {"VT in the name", te("Transfer-Encoding\x0b: chunked\r\n"), k400},
        {"whitespace before the first field",
         "POST /hello.txt HTTP/1.1\r\n Transfer-Encoding: "
         "chunked\r\nHost: t\r\n\r\n0\r\n\r\n",
         k400},
        // Obfuscation around the value.
        {"VT before the value",
         te("Transfer-Encoding: \x0b"
            "chunked\r\n"),
         k400},
        {"FF before the value",
         te("Transfer-Encoding: \x0c"
            "chunked\r\n"),
         k400},
        {"SOH before the value",
         te("Transfer-Encoding: \x01"
            "chunked\r\n"),
         k400},
        {"VT after the value", te("Transfer-Encoding: chunked\x0b\r\n"), k400},
        {"0xA0 before the value",
         te("Transfer-Encoding: \xa0"
            "chunked\r\n"),
         k400},
        {"0xA0 after the value", te("Transfer-Encoding: chunked\xa0\r\n"), k400},
        {"0xFF before the value",
         te("Transfer-Encoding: \xff"
            "chunked\r\n"),
         k400},
        {"0xFF after the value", te("Transfer-Encoding: chunked\xff\r\n"), k400},
        {"NUL after the value", te("Transfer-Encoding: chunked\0\r\n"s), k400},
        {"value folded with HTAB", te("Transfer-Encoding: gzip\r\n\tchunked\r\n"), k400},
        {"bare CR inside the field", te("Transfer-Encoding: chunked\rX: y\r\n"), k400},
        {"bare LF ends the field", te("X: y\nTransfer-Encoding: chunked\r\n"), k400},
        // Content-Length.
        {"CL twice, different", te("Content-Length: 3\r\nContent-Length: 30\r\n", "abc"), k400},
        {"CL list, different", te("Content-Length: 3, 30\r\n", "abc"), k400},
        {"CL hex", te("Content-Length: 0x3\r\n", "abc"), k400},
        {"CL decimal point", te("Content-Length: 3.0\r\n", "abc"), k400},
        {"CL exponent", te("Content-Length: 1e1\r\n", "abc"), k400},
        {"CL empty", te("Content-Length: \r\n", "abc"), k400},
        {"CL minus zero", te("Content-Length: -0\r\n", ""), k400},
        {"CL VT before",
         te("Content-Length: \x0b"
            "3\r\n",
            "abc"),
         k400},
        {"CL VT after", te("Content-Length: 3\x0b\r\n", "abc"), k400},
        {"CL 0xA0 before",
         te("Content-Length: \xa0"
            "3\r\n",
            "abc"),
         k400},
        {"CL 0xA0 after", te("Content-Length: 3\xa0\r\n", "abc"), k400},
        {"CL 0xFF after", te("Content-Length: 3\xff\r\n", "abc"), k400},
        {"CL NUL after", te("Content-Length: 3\0\r\n"s, "abc"), k400},
        {"CL SP before the colon", te("Content-Length : 3\r\n", "abc"), k400},
        {"CL over 2^64", te("Content-Length: 18446744073709551616\r\n", "abc"), k400or413},
        {"CL 30 digits", te("Content-Length: 999999999999999999999999999999\r\n", "abc"),
         k400or413},
    };
}

// Chunked bodies whose framing is wrong (RFC 9112 §7.1).
std::vector<Refused> chunk_cases() {
    return {
        {"chunk size hex prefix", chunked("0x3\r\nabc\r\n0\r\n\r\n"), k400},
        {"chunk size SP before", chunked(" 3\r\nabc\r\n0\r\n\r\n"), k400},
        {"chunk size minus", chunked("-3\r\nabc\r\n0\r\n\r\n"), k400},
        {"chunk size plus", chunked("+3\r\nabc\r\n0\r\n\r\n"), k400},
        {"chunk size NUL", chunked("3\0\r\nabc\r\n0\r\n\r\n"s), k400},
        {"chunk size 0xA0", chunked("3\xa0\r\nabc\r\n0\r\n\r\n"), k400},
        {"chunk size 0xFF", chunked("3\xff\r\nabc\r\n0\r\n\r\n"), k400},
        {"chunk size bare LF", chunked("3\nabc\r\n0\r\n\r\n"), k400},
        {"chunk size bare CR", chunked("3\rabc\r\n0\r\n\r\n"), k400},
        {"chunk size empty", chunked("\r\nabc\r\n0\r\n\r\n"), k400},
        {"chunk ext DEL", chunked("3;\x7f\r\nabc\r\n0\r\n\r\n"), k400},
        {"chunk ext NUL", chunked("3;a\0\r\nabc\r\n0\r\n\r\n"s), k400},
        {"chunk ext unterminated quote", chunked("3;a=\"b\r\nabc\r\n0\r\n\r\n"), k400},
        {"chunk ext bare CR", chunked("3;a\rb\r\nabc\r\n0\r\n\r\n"), k400},
        {"chunk size 2^64", chunked("10000000000000000\r\nabc\r\n0\r\n\r\n"), k400or413},
        {"chunk size 2^72", chunked("1000000000000000000\r\nabc\r\n0\r\n\r\n"), k400or413},
        {"last chunk bare LF", chunked("0\n\n"), k400},
        {"trailer with a control byte", chunked("0\r\nX\x01: y\r\n\r\n"), k400},
        {"trailer with NUL", chunked("0\r\nX: y\0\r\n\r\n"s), k400},
    };
}

// The request line and the head: bare CR, NUL, stray whitespace.
std::vector<Refused> syntax_cases() {
    return {
        {"CR instead of SP in the request line", "GET /hello.txt\rHTTP/1.1\r\nHost: t\r\n\r\n",
         k400},
        {"bare CR after a field", get_with("X: 1\r\r\n"), k400},
        {"NUL in the method", "G\0ET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"s, k400},
        {"NUL in the target", "GET /hel\0lo.txt HTTP/1.1\r\nHost: t\r\n\r\n"s, k400},
        {"NUL after the target", "GET /hello.txt\0 HTTP/1.1\r\nHost: t\r\n\r\n"s, k400},
        {"NUL after the version", "GET /hello.txt HTTP/1.1\0\r\nHost: t\r\n\r\n"s, k400},
        {"NUL in a field name", get_with("X\0Y: 1\r\n"s), k400},
        {"NUL in Host", "GET /hello.txt HTTP/1.1\r\nHost: t\0u\r\n\r\n"s, k400},
        {"HTAB as a separator", "GET\t/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", k400},
        {"SP after the version", "GET /hello.txt HTTP/1.1 \r\nHost: t\r\n\r\n", k400},
        {"SP before the method", " GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", k400},
        {"0xFF in the method", "G\xffT /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", k400},
        {"lower-case version", "GET /hello.txt http/1.1\r\nHost: t\r\n\r\n", k400},
        {"Host folded onto a second Host", "GET /hello.txt HTTP/1.1\r\nHost: t\r\n Host: u\r\n\r\n",
         k400},
        {"Host SP before the colon", "GET /hello.txt HTTP/1.1\r\nHost : t\r\n\r\n", k400},
    };
}

// Where cgikitd (llhttp 8.1 plus our wrapper) fell short (see the issue 7 report), now refused by
// the request parser wrapper. Each is a smuggling or resource risk, not a matter of taste. (Not
// listed: "GET  /x" with two spaces is served; RFC 9112 §3 lets a recipient split the request
// line on any whitespace, so that is a permitted reading, not a gap.)
std::vector<Refused> known_gaps() {
    return {
        // A lone CR ending the header block: llhttp accepts any byte after it, so the byte was
        // swallowed and the request behind it answered (a front end that sees "\r" as part of the
        // next line disagrees about where the request ends).
        {"bare CR ends the head, then a pipelined request",
         "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\rX"s, k400},
        // obs-fold (RFC 9112 §5.2; the issue's policy: 400). Accepted by llhttp, so a folded
        // Transfer-Encoding or Content-Length would frame the body for us and not for a front end
        // that ignores the continuation line.
        {"Transfer-Encoding value on a folded line", te("Transfer-Encoding:\r\n chunked\r\n"),
         k400},
        {"Transfer-Encoding name on a continuation line",
         te("Host2: x\r\n Transfer-Encoding: chunked\r\n"), k400},
        {"Content-Length folded", te("Content-Length:\r\n 3\r\n", "abc"), k400},
        {"trailer folded", chunked("0\r\nX: y\r\n z\r\n\r\n"), k400},
        // A chunk size over limits.body_bytes: were the limit only checked as data arrives, the
        // server would read everything that follows as chunk data and answer 408 at the header
        // timeout instead of 413 at once.
        {"chunk size just under 2^64", chunked("ffffffffffffffff\r\nabc\r\n0\r\n\r\n"), k400or413},
        {"chunk size over the body limit", chunked("100000\r\nabc\r\n0\r\n\r\n"), k400or413},
    };
}

struct Outcome {
    bool ok = false;
    std::string detail;
};

// Sends `c.request` + kFollowUp in one write. Right: exactly one response, with a status from
// `c.statuses`, "Connection: close", no smuggled content, then the server closes.
Outcome try_refused(std::uint16_t port, const Refused& c) {
    RawClient client(port);
    client.send(c.request + kFollowUp);
    auto response = client.read_response(false, 3s);
    if (!response) return {false, "no response"};
    std::string status = std::to_string(response->status);
    if (c.statuses.count(response->status) == 0) return {false, "status " + status};
    if (response->header("Connection") != "close") return {false, status + " without close"};
    if (response->body.find("SMUGGLED") != std::string::npos) return {false, "smuggled body"};
    auto rest = client.read_until_close(3s);
    if (!rest) return {false, status + ", then the connection stayed open"};
    if (!rest->empty()) return {false, status + ", then more bytes: " + rest->substr(0, 40)};
    return {true, status};
}

void check_all_refused(const std::vector<Refused>& cases) {
    Site site({kSmuggledFile});
    TestServer server({.root = site.dir.path(), .config_json = kStrictConfig});
    for (const auto& c : cases) {
        Outcome outcome = try_refused(server.port(), c);
        INFO(c.what << ": " << outcome.detail);
        CHECK(outcome.ok);
    }
}

// ------------------------------------------------------------------------------------------------
// A TCP connection whose far end may be anything; the mount used for the spool case.

// A tiny tmpfs, so that the spool directory fills up. Needs CAP_SYS_ADMIN (the tests run as root
// in CI); `mounted()` says whether it worked.
class TinyTmpfs {
  public:
    TinyTmpfs(const std::string& path, const char* size) : path_(path) {
        std::string options = std::string("size=") + size + ",mode=1777";
        mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                           options.c_str()) == 0;
    }
    ~TinyTmpfs() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    }
    bool mounted() const noexcept { return mounted_; }
    // True when nothing is stored in it (no spool file left behind).
    bool empty() const {
        struct statvfs s {};
        return ::statvfs(path_.c_str(), &s) == 0 && s.f_bfree == s.f_blocks;
    }

  private:
    std::string path_;
    bool mounted_ = false;
};

}  // namespace

// ------------------------------------------------------------------------------------------------
// Request smuggling and strict syntax

TEST_CASE("smuggling: conflicting or obfuscated framing is refused and closes the connection",
          "[hostile][smuggling]") {
    check_all_refused(framing_cases());
}

TEST_CASE("smuggling: invalid and overflowing chunk sizes, extensions and trailers are refused",
          "[hostile][smuggling]") {
    check_all_refused(chunk_cases());
}

TEST_CASE("strict syntax: bare CR, NUL and stray whitespace in the head are refused",
          "[hostile][strict]") {
    check_all_refused(syntax_cases());
}

TEST_CASE("known gaps: bare CR after the head, obs-fold, chunk sizes over the body limit",
          "[hostile][smuggling]") {
    check_all_refused(known_gaps());
}

TEST_CASE("unusual but valid framing is accepted and framed exactly", "[hostile][smuggling]") {
    // Each is a POST to a static file (405 once its body is read), then the follow-up on the same
    // connection: had the body been framed wrongly, the follow-up would be read from the wrong
    // offset and come back as a 400.
    Site site({kSmuggledFile});
    TestServer server({.root = site.dir.path(), .config_json = kStrictConfig});
    struct Accepted {
        const char* what;
        std::string request;
    };
    for (const auto& c : std::vector<Accepted>{
             // (A trailing HTAB is refused by llhttp in these two fields: stricter than
             // RFC 9110 §5.5, but refusing is never a smuggling risk.)
             {"HTAB before chunked", te("Transfer-Encoding:\tchunked\r\n")},
             {"SP after chunked", te("Transfer-Encoding: chunked \r\n")},
             {"coding names are case-insensitive", te("transfer-encoding: CHUNKED\r\n")},
             {"OWS around Content-Length", te("Content-Length:   5  \r\n", "hello")},
             {"chunk extension", chunked("5;name=value\r\nhello\r\n0\r\n\r\n")},
             {"quoted chunk extension", chunked("5;n=\"a b;c\"\r\nhello\r\n0\r\n\r\n")},
             {"upper-case hex size", chunked("A\r\n0123456789\r\n0\r\n\r\n")},
             {"leading zeros in the size", chunked("0005\r\nhello\r\n0\r\n\r\n")},
             {"a trailer field", chunked("5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n")},
         }) {
        INFO(c.what);
        RawClient client(server.port());
        client.send(c.request + kFollowUp);
        auto first = client.read_response(false, 3s);
        REQUIRE(first);
        CHECK(first->status == 405);
        auto second = client.read_response(false, 3s);
        REQUIRE(second);
        CHECK(second->status == 200);
        CHECK(second->body == "SMUGGLED\n");
        CHECK(client.closed_by_server(3s));
    }
}

// ------------------------------------------------------------------------------------------------
// Slowloris

TEST_CASE(
    "slowloris: 1,000 trickling connections do not delay normal requests and are closed "
    "by the header timeout",
    "[hostile][slowloris]") {
    constexpr int kSlowClients = 1000;
    constexpr auto kHeaderTimeout = 3s;
    // The issue's target is p99 < 100 ms. Asserted here with headroom for a loaded 2-core CI
    // machine and sanitizer builds; what it must rule out is a worker held by slow clients, which
    // shows as requests waiting for the header timeout (seconds). CGIKIT_SLOWLORIS_P99_MS tightens
    // it on a quiet machine.
    double p99_bound_ms = 750;
    if (const char* env = std::getenv("CGIKIT_SLOWLORIS_P99_MS")) p99_bound_ms = std::atof(env);
    REQUIRE(raise_fd_limit(kSlowClients + 512) >= kSlowClients + 512);

    Site site({kSmuggledFile});
    TestServer server({.root = site.dir.path(),
                       .config_json = R"({"timeouts": {"header_read": 3}})",
                       .workers = 2});
    const int server_fds_before = idle_fds(server);

    // Every slow client sends a partial head, then one more byte of a never-ending field every
    // 100 ms: each byte is well within any per-read timeout, the head never completes.
    std::vector<Fd> slow;
    slow.reserve(kSlowClients);
    const auto first_opened = Clock::now();
    for (int i = 0; i < kSlowClients; ++i) {
        slow.push_back(connect_to(server.port()));
        send_some(slow.back().get(), "GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-Slow: ");
    }
    const auto all_opened = Clock::now();
    std::atomic<bool> stop_trickling{false};
    std::thread trickler([&] {
        while (!stop_trickling) {
            for (auto& fd : slow)
                send_some(fd.get(), "a");
            // Pacing of the attack, not synchronisation.
            std::this_thread::sleep_for(100ms);
        }
    });

    // Normal requests, one connection each, while every slow client is still open.
    const auto window_end = first_opened + kHeaderTimeout - 500ms;
    std::vector<double> latencies;
    int failures = 0;
    while (Clock::now() < window_end) {
        auto start = Clock::now();
        RawClient client(server.port());
        client.send("GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        auto r = client.read_response(false, 5s);
        if (!r || r->status != 200 || r->body != "hello world\n") {
            ++failures;
            continue;
        }
        latencies.push_back(ms_between(start, Clock::now()));
    }
    const auto window_closed = Clock::now();
    // No slow client may have been closed yet: they are within the header timeout.
    int closed_early = 0;
    for (auto& fd : slow) {
        std::string ignored;
        if (drain(fd.get(), ignored)) ++closed_early;
    }

    // Then the header timeout closes every one of them (408, then close).
    int closed = 0, answered_408 = 0;
    std::vector<bool> done(slow.size(), false);
    std::vector<std::string> received(slow.size());
    const auto close_deadline = all_opened + kHeaderTimeout + 5s;
    while (closed < kSlowClients && Clock::now() < close_deadline) {
        std::vector<pollfd> polls;
        std::vector<std::size_t> index;
        for (std::size_t i = 0; i < slow.size(); ++i) {
            if (done[i]) continue;
            polls.push_back({slow[i].get(), POLLIN, 0});
            index.push_back(i);
        }
        if (::poll(polls.data(), polls.size(), 100) <= 0) continue;
        for (std::size_t k = 0; k < polls.size(); ++k) {
            if (polls[k].revents == 0) continue;
            std::size_t i = index[k];
            if (drain(slow[i].get(), received[i])) {
                done[i] = true;
                ++closed;
                if (received[i].rfind("HTTP/1.1 408 ", 0) == 0) ++answered_408;
            }
        }
    }
    const auto all_closed = Clock::now();
    stop_trickling = true;
    trickler.join();
    slow.clear();

    const double p50 = percentile(latencies, 0.50);
    const double p99 = percentile(latencies, 0.99);
    const double max = percentile(latencies, 1.0);
    std::printf(
        "slowloris: %d slow connections opened in %.0f ms; %zu normal requests in %.0f ms while "
        "they were open: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d failed; slow connections "
        "closed early %d, closed by the %lld s header timeout %d (%d with 408), the last %.2f s "
        "after the first was opened\n",
        kSlowClients, ms_between(first_opened, all_opened), latencies.size(),
        ms_between(all_opened, window_closed), p50, p99, max, failures, closed_early,
        static_cast<long long>(kHeaderTimeout.count()), closed, answered_408,
        ms_between(first_opened, all_closed) / 1000);
    std::fflush(stdout);

    CHECK(failures == 0);
    CHECK(latencies.size() >= 10);
    CHECK(p99 < p99_bound_ms);
    CHECK(closed_early == 0);
    CHECK(closed == kSlowClients);
    CHECK(answered_408 == kSlowClients);
    // The server lets go of every one of them.
    auto deadline = Clock::now() + 5s;
    while (count_open_fds(server.pid()) > server_fds_before && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    CHECK(count_open_fds(server.pid()) <= server_fds_before);
}

// ------------------------------------------------------------------------------------------------
// Regressions from the whole-connection fuzz target (tests/fuzz/connection_fuzz.cpp)

namespace {

// Sends `bytes` in pieces of `piece` bytes (TCP_NODELAY: one segment each), shuts down the sending
// side right after the last one, and returns everything received until the server closed.
std::optional<std::string> send_in_pieces_then_close(std::uint16_t port, std::string_view bytes,
                                                     std::size_t piece,
                                                     std::chrono::milliseconds timeout) {
    RawClient client(port);
    int one = 1;
    ::setsockopt(client.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (std::size_t at = 0; at < bytes.size(); at += piece)
        client.send(std::string(bytes.substr(at, piece)));
    client.shutdown_write();
    return client.read_until_close(timeout);
}

std::string without_dates(std::string text) {
    for (std::size_t at; (at = text.find("\r\nDate: ")) != std::string::npos;)
        text.erase(at + 2, text.find("\r\n", at + 2) - at);
    return text;
}

}  // namespace

TEST_CASE(
    "fuzz regression: a cached file then a refused path, in 1-byte pieces, ends at once "
    "and leaves no descriptor",
    "[hostile][fuzz-regression]") {
    // tests/fuzz/corpus/connection/regression-cached-file-fd over TCP: the open file cache keeps
    // big.bin open after the connection (by design, for about a second); the connection itself
    // must still end as soon as the client is done, with the same answers as in one write.
    const std::string input =
        "GET /big.bin HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        "GET /outside HTTP/1.0\r\n\r\n";
    Site site({kSmuggledFile});
    site.dir.write("big.bin", std::string(300 * 1024, 'b'));
    REQUIRE(::symlink("/etc/passwd", (site.dir.path() + "/outside").c_str()) == 0);
    // Long timeouts: a connection that waits for one instead of ending shows as a late close.
    TestServer server({.root = site.dir.path(),
                       .config_json = R"({"timeouts": {"header_read": 20, "keep_alive": 20}})",
                       .workers = 1});
    const int fds_idle = idle_fds(server);

    const auto start = Clock::now();
    auto in_pieces = send_in_pieces_then_close(server.port(), input, 1, 10s);
    const double took_ms = ms_between(start, Clock::now());
    REQUIRE(in_pieces);
    auto whole = send_in_pieces_then_close(server.port(), input, input.size(), 10s);
    REQUIRE(whole);
    CHECK(took_ms < 3000);
    CHECK(in_pieces->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(in_pieces->find("Content-Length: 307200\r\n") != std::string::npos);
    const auto second = in_pieces->find("HTTP/1.1 404 ");
    CHECK(second != std::string::npos);
    CHECK(in_pieces->find("root:") == std::string::npos);  // the symlink is never followed
    CHECK(without_dates(*in_pieces) == without_dates(*whole));
    // The cached descriptor of big.bin goes within the cache's lifetime (a second, swept).
    auto deadline = Clock::now() + 5s;
    while (count_open_fds(server.pid()) > fds_idle && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    CHECK(count_open_fds(server.pid()) <= fds_idle);
}

TEST_CASE("fuzz regression: a client that half-closes with its last bytes is let go at once",
          "[hostile][fuzz-regression]") {
    // Found by fuzz_connection (tests/fuzz/corpus/connection/regression-fin-with-last-piece): the
    // end of the stream arriving together with the last bytes of a request must close the
    // connection then, not when the header (408) or keep-alive timeout fires. Over loopback the FIN
    // often shares the server's wake-up with the last segment; a few tries make that near certain.
    // (A FIN raises no further edge of its own: only a recv(2) returning 0 shows it.)
    Site site({kSmuggledFile});
    TestServer server({.root = site.dir.path(),
                       .config_json = R"({"timeouts": {"header_read": 20, "keep_alive": 20}})",
                       .workers = 1});
    for (int attempt = 0; attempt < 10; ++attempt) {
        INFO("attempt " << attempt);
        const auto start = Clock::now();
        auto received = send_in_pieces_then_close(server.port(),
                                                  "GET /hello.txt HTTP/1.1\r\nHost: t\r\n", 5, 5s);
        REQUIRE(received);
        CHECK(received->empty());  // an unfinished request is not answered
        CHECK(ms_between(start, Clock::now()) < 2000);
        // And a complete request on a keep-alive connection: answered, then let go.
        const auto again = Clock::now();
        received = send_in_pieces_then_close(server.port(),
                                             "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", 7, 5s);
        REQUIRE(received);
        CHECK(received->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        CHECK(ms_between(again, Clock::now()) < 2000);
    }
}

// ------------------------------------------------------------------------------------------------
// Idle connection shedding

TEST_CASE("idle keep-alive connections beyond limits.connections are shed oldest-first",
          "[hostile][limits]") {
    // One worker, so that the limit (per worker) applies to every connection here.
    Site site({kSmuggledFile});
    TestServer server({.root = site.dir.path(),
                       .config_json = R"({"limits": {"connections": 3}})",
                       .workers = 1});
    const std::string get = "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    auto served = [&](RawClient& c) {
        c.send(get);
        auto r = c.read_response(false, 3s);
        return r && r->status == 200;
    };
    RawClient a(server.port()), b(server.port()), c(server.port());
    REQUIRE(served(a));
    REQUIRE(served(b));
    REQUIRE(served(c));  // idle, oldest first: a, b, c

    RawClient d(server.port());
    CHECK(served(d));  // at the limit: a, the oldest idle connection, makes room
    CHECK(a.closed_by_server(3s));
    CHECK(served(b));  // still open; now the most recently used: c, d, b

    RawClient e(server.port());
    CHECK(served(e));
    CHECK(c.closed_by_server(3s));  // the oldest idle one now
    CHECK(served(d));
    CHECK(served(b));
}

TEST_CASE(
    "at limits.connections with nothing idle, a new connection is refused, not queued "
    "forever; service resumes when one frees up",
    "[hostile][limits]") {
    Site site({kSmuggledFile});
    TestServer server({.root = site.dir.path(),
                       .config_json = R"({"limits": {"connections": 2}})",
                       .workers = 1});
    RawClient busy1(server.port()), busy2(server.port());
    busy1.send("GET /hello.txt HTTP/1.1\r\n");  // mid-head: busy, not idle
    busy2.send("GET /hello.txt HTTP/1.1\r\n");
    // Both are accepted before the next one is (one listener, FIFO accept queue).
    RawClient refused(server.port());
    auto rest = refused.read_until_close(3s);
    REQUIRE(rest);
    CHECK(rest->empty());  // closed without a response

    busy1.send("Host: t\r\n\r\n");
    auto r = busy1.read_response(false, 3s);
    REQUIRE(r);
    CHECK(r->status == 200);  // busy1 is idle now, so the next connection can take its place
    RawClient next(server.port());
    next.send("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    auto n = next.read_response(false, 3s);
    REQUIRE(n);
    CHECK(n->status == 200);
    CHECK(busy1.closed_by_server(3s));
}

// ------------------------------------------------------------------------------------------------
// Descriptor exhaustion

namespace {

// cgikitd started with RLIMIT_NOFILE = `limit`. A child inherits the soft limit at spawn, so this
// process's limit is lowered around the spawn only; prlimit(2) on the running server would race
// with its switch to the unprivileged user.
std::unique_ptr<TestServer> start_with_fd_limit(const TestServer::Options& options, rlim_t limit) {
    rlimit saved{};
    ::getrlimit(RLIMIT_NOFILE, &saved);
    rlimit low = saved;
    low.rlim_cur = limit;
    if (::setrlimit(RLIMIT_NOFILE, &low) != 0) throw std::runtime_error("setrlimit failed");
    std::unique_ptr<TestServer> server;
    try {
        server = std::make_unique<TestServer>(options);
    } catch (...) {
        ::setrlimit(RLIMIT_NOFILE, &saved);
        throw;
    }
    ::setrlimit(RLIMIT_NOFILE, &saved);
    return server;
}

// True when cgikitd carries UBSan's vptr check (-fsanitize=undefined without -fno-sanitize=vptr).
// That check probes memory with pipe(2); in a process out of descriptors the probe fails and every
// virtual call whose type is not in UBSan's small cache is reported as an "invalid vptr", which
// aborts the server: a false positive of the sanitizer, not a bug of the server. Such a build
// cannot be tested at its descriptor limit (ASan alone can: see the report on Sanitizers.cmake).
bool server_has_vptr_checks() {
    std::ifstream in(cgikitd_path(), std::ios::binary);
    const std::string binary((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
    return binary.find("__ubsan_handle_dynamic_type_cache_miss") != std::string::npos;
}

// Sends a GET for /hello.txt on every connection, then collects the status of each answer that
// arrives within `window`.
std::map<int, int> answer_statuses(std::vector<Fd>& connections, std::chrono::milliseconds window,
                                   int& malformed) {
    for (auto& fd : connections)
        send_some(fd.get(), "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    std::map<int, int> statuses;
    std::vector<std::string> received(connections.size());
    std::vector<bool> counted(connections.size(), false);
    const auto deadline = Clock::now() + window;
    while (Clock::now() < deadline) {
        std::vector<pollfd> polls;
        for (auto& fd : connections)
            polls.push_back({fd.get(), POLLIN, 0});
        ::poll(polls.data(), polls.size(), 100);
        for (std::size_t i = 0; i < connections.size(); ++i) {
            if (counted[i] || polls[i].revents == 0) continue;
            drain(connections[i].get(), received[i]);
            if (received[i].find("\r\n\r\n") == std::string::npos) continue;
            counted[i] = true;
            if (received[i].rfind("HTTP/1.1 ", 0) != 0 || received[i].size() < 12) {
                ++malformed;
                continue;
            }
            ++statuses[std::atoi(received[i].c_str() + 9)];
        }
    }
    return statuses;
}

std::string describe(const std::map<int, int>& statuses) {
    std::string out;
    for (const auto& [status, count] : statuses)
        out += std::to_string(count) + "x" + std::to_string(status) + " ";
    return out.empty() ? "none" : out;
}

}  // namespace

TEST_CASE("descriptor exhaustion: no spinning on accept, answers what it can, recovers",
          "[hostile][fds]") {
    constexpr int kFlood = 300;
    constexpr rlim_t kServerFdLimit = 64;
    constexpr int kWorkers = 2;
    if (server_has_vptr_checks()) {
        WARN(
            "cgikitd is built with UBSan's vptr check, which cannot run out of descriptors: "
            "not run in this build");
        return;
    }
    REQUIRE(raise_fd_limit(kFlood + 256) >= kFlood + 256);
    Site site({kSmuggledFile});
    // Long timeouts: the flood must hold its descriptors for the whole episode.
    auto server = start_with_fd_limit(
        {.root = site.dir.path(),
         .config_json = R"({"timeouts": {"header_read": 30, "keep_alive": 30}})",
         .workers = kWorkers},
        kServerFdLimit);
    int fds_at_start = 0;
    try {
        fds_at_start = idle_fds(*server);
    } catch (const std::exception& e) {
        FAIL(e.what() << "; server log:\n" << server->stderr_text());
    }

    // Phase 1: more silent connections than the server has descriptors. It accepts until EMFILE;
    // the rest wait in the kernel's queue. A listener that stays readable must not make the
    // worker spin: it retries on a timer.
    std::vector<Fd> flood;
    try {
        for (int i = 0; i < kFlood; ++i)
            flood.push_back(connect_to(server->port()));
    } catch (const std::exception& e) {
        FAIL(e.what() << " after " << flood.size() << " connections; server log:\n"
                      << server->stderr_text());
    }
    REQUIRE(server->wait_for_stderr("accept: ", 5s));
    const double cpu_before = cpu_seconds(server->pid());
    const std::size_t retries_before = count_occurrences(server->stderr_text(), "accept: ");
    const auto episode_start = Clock::now();
    // A measured episode, not synchronisation: how much CPU and how many accept attempts an
    // exhausted server spends while nothing changes.
    std::this_thread::sleep_for(1500ms);
    const double episode = ms_between(episode_start, Clock::now()) / 1000;
    const double cpu = cpu_seconds(server->pid()) - cpu_before;
    const std::size_t retries =
        count_occurrences(server->stderr_text(), "accept: ") - retries_before;
    const int fds_exhausted = count_open_fds(server->pid());

    // Phase 2: every flood connection asks for a file. Each connection the server holds gets an
    // answer (it has no descriptor left to open the file with, so not necessarily a 200).
    int malformed = 0;
    auto statuses = answer_statuses(flood, 2s, malformed);
    int answered = 0;
    for (const auto& [status, count] : statuses)
        answered += count;

    // Phase 3: the flood goes away; the server serves normally again.
    flood.clear();
    bool recovered = false;
    double recovery_ms = 0;
    const auto recovery_start = Clock::now();
    while (!recovered && Clock::now() < recovery_start + 5s) {
        RawClient client(server->port());
        client.send("GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        auto r = client.read_response(false, 1s);
        recovered = r && r->status == 200 && r->body == "hello world\n";
        recovery_ms = ms_between(recovery_start, Clock::now());
    }
    auto fds_deadline = Clock::now() + 5s;
    while (count_open_fds(server->pid()) > fds_at_start && Clock::now() < fds_deadline)
        std::this_thread::sleep_for(20ms);
    const int fds_after = count_open_fds(server->pid());

    std::printf(
        "fd exhaustion: RLIMIT_NOFILE %d, %d connections: server fds %d idle, %d exhausted, %d "
        "after; over %.1f s exhausted: %.3f s CPU, %zu accept retries (%d workers); answers "
        "while exhausted: %s; recovered in %.0f ms\n",
        static_cast<int>(kServerFdLimit), kFlood, fds_at_start, fds_exhausted, fds_after, episode,
        cpu, retries, kWorkers, describe(statuses).c_str(), recovery_ms);
    std::fflush(stdout);

    // Retrying every 100 ms per worker is ~30 in 1.5 s; a spinning accept loop is thousands.
    CHECK(retries <= static_cast<std::size_t>(kWorkers * episode * 10 * 3 + 20));
    CHECK(cpu < 0.25 * episode);
    CHECK(answered >= 10);
    CHECK(malformed == 0);
    CHECK(recovered);
    CHECK(fds_after <= fds_at_start);
    CHECK(server->stop() == 0);  // and it still shuts down cleanly
}

TEST_CASE("descriptor exhaustion: an existing file is never answered 404", "[hostile][fds]") {
    // open(2) failing with EMFILE/ENFILE is a temporary overload, not a missing file: 503 (RFC
    // 9110 §15.6.4) with Retry-After, so that the client (and any cache in between) retries.
    if (server_has_vptr_checks()) {
        WARN(
            "cgikitd is built with UBSan's vptr check, which cannot run out of descriptors: "
            "not run in this build");
        return;
    }
    REQUIRE(raise_fd_limit(512) >= 512);
    Site site({kSmuggledFile});
    auto server = start_with_fd_limit({.root = site.dir.path(), .workers = 1}, 32);
    std::vector<Fd> flood;
    for (int i = 0; i < 100; ++i)
        flood.push_back(connect_to(server->port()));
    REQUIRE(server->wait_for_stderr("accept: ", 5s));
    int malformed = 0;
    auto statuses = answer_statuses(flood, 1s, malformed);
    INFO("answers: " << describe(statuses));
    CHECK(statuses.count(404) == 0);
    for (const auto& [status, count] : statuses)
        CHECK((status == 200 || status == 503));
}

// ------------------------------------------------------------------------------------------------
// A full spool directory

namespace {

struct SpoolFull {
    Site site{{kSmuggledFile}};
    TempDir spool;
    TinyTmpfs tmpfs{spool.path(), "64k"};
    std::optional<TestServer> server;
    SpoolFull() {
        if (!tmpfs.mounted()) return;
        TestServer::Options options;
        options.root = site.dir.path();
        options.extra_args = {"--cgi-bin", "/cgi-bin/=" + fixtures_dir() + "/cgi-bin"};
        options.config_json =
            R"({"cgi": {"spool_dir": ")" + spool.path() + R"(", "spool_memory_bytes": 1024}})";
        server.emplace(options);
    }
    // A body four times the size of the file system.
    HttpResponse post_large() {
        RawClient client(server->port());
        const std::string body(256 * 1024, 'x');
        client.send("POST /cgi-bin/stdin_len.sh HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body);
        auto r = client.read_response(false, 5s);
        if (!r) throw std::runtime_error("no response to the large POST");
        return *r;
    }
};

}  // namespace

TEST_CASE("a full CGI spool directory: 507, a log line, nothing left behind, still serving",
          "[hostile][spool]") {
    SpoolFull fixture;
    if (!fixture.tmpfs.mounted()) {
        WARN("cannot mount a tmpfs here (needs CAP_SYS_ADMIN): spool-full case not run");
        return;
    }
    TestServer& server = *fixture.server;
    HttpResponse r = fixture.post_large();
    CHECK(r.status == 507);  // RFC 4918 §11.5 Insufficient Storage
    CHECK(r.header("Connection") == "close");
    CHECK(server.wait_for_stderr("(507)", 3s));
    CHECK(child_processes(server.pid()).empty());  // the script never ran
    // The unlinked spool file is gone with the request.
    auto deadline = Clock::now() + 3s;
    while (!fixture.tmpfs.empty() && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    CHECK(fixture.tmpfs.empty());
    // Small bodies stay in memory and still run; static files still serve.
    auto small = request(server.port(),
                         "POST /cgi-bin/stdin_len.sh HTTP/1.1\r\nHost: t\r\nContent-Length: "
                         "5\r\n\r\nhello");
    CHECK(small.status == 200);
    CHECK(small.body.find('5') != std::string::npos);
    CHECK(request(server.port(), "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").status == 200);
}

TEST_CASE("a full CGI spool directory: the log line names the cause", "[hostile][spool]") {
    // Today the line reads "rejected request (507): body rejected": an operator cannot tell a
    // full disk from a policy decision. It should name the directory and the errno.
    SpoolFull fixture;
    if (!fixture.tmpfs.mounted()) {
        WARN("cannot mount a tmpfs here (needs CAP_SYS_ADMIN): spool-full case not run");
        return;
    }
    CHECK(fixture.post_large().status == 507);
    CHECK(fixture.server->wait_for_stderr("No space left on device", 1s));
}

TEST_CASE("a script's stderr reaches the error log escaped once: no forged line, no doubling",
          "[hostile][logs]") {
    // Each stderr byte a log reader could misread is escaped exactly once: the splitter used to
    // escape the line and the error log escaped it again (a backslash became four, ESC `\\x1b`).
    Site site;
    TempDir scripts;
    scripts.write("say.sh",
                  "#!/bin/sh\n"
                  "printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n"
                  "printf 'C:\\\\dir\\033[31m\\n2026-01-01T00:00:00Z [notice] forged\\n' >&2\n",
                  0755);
    TestServer server(
        {.root = site.dir.path(), .extra_args = {"--cgi-bin", "/s/=" + scripts.path()}});
    CHECK(request(server.port(), "GET /s/say.sh HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
              .status == 200);
    REQUIRE(server.wait_for_stderr("forged", 5s));
    const std::string log = server.stderr_text();
    CHECK(log.find("say.sh: C:\\\\dir\\x1b[31m\n") != std::string::npos);
    CHECK(log.find("\\\\\\\\") == std::string::npos);
    // The script's second line is its own [cgi] line, tagged with its request, not a notice.
    CHECK(log.find("[cgi] ") != std::string::npos);
    CHECK(log.find("\n2026-01-01T00:00:00Z [notice] forged") == std::string::npos);
}
