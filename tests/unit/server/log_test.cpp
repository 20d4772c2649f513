// Logs: Combined Log Format access lines with hostile bytes escaped, error lines with time, level,
// request id and client, and LogFile's open / write / reopen (logrotate) contract.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "config.hpp"
#include "handlers/stderr_lines.hpp"
#include "log.hpp"

using cgikit::append_access_line;
using cgikit::clf_time;
using cgikit::ConfigError;
using cgikit::format_error_line;
using cgikit::iso8601_utc;
using cgikit::LogFile;
using cgikit::http::Request;
using namespace std::string_literals;

namespace {

namespace fs = std::filesystem;

struct ScratchDir {
    fs::path path;
    ScratchDir() {
        std::string pattern = (fs::temp_directory_path() / "cgikit-log-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

Request sample_request() {
    Request r;
    r.method = "GET";
    r.target = "/index.html?q=1";
    r.version = {1, 1};
    r.peer.remote_address = "192.0.2.7";
    r.headers.add("Host", "example.com");
    r.headers.add("Referer", "http://example.com/start");
    r.headers.add("User-Agent", "Mozilla/5.0 (X11)");
    return r;
}

constexpr const char* kNow = "21/Nov/2026:05:37:09 +0000";

}  // namespace

TEST_CASE("timestamps: ISO 8601 for errors, CLF for access, always UTC", "[log]") {
    CHECK(iso8601_utc(0) == "1970-01-01T00:00:00Z");
    CHECK(iso8601_utc(1700000000) == "2023-11-14T22:13:20Z");
    CHECK(iso8601_utc(951782400) == "2000-02-29T00:00:00Z");
    CHECK(clf_time(0) == "01/Jan/1970:00:00:00 +0000");
    CHECK(clf_time(1700000000) == "14/Nov/2023:22:13:20 +0000");
    CHECK(clf_time(1703980800 + 86399) == "31/Dec/2023:23:59:59 +0000");
}

TEST_CASE("an access line in Combined Log Format", "[log]") {
    std::string line;
    append_access_line(line, sample_request(), kNow, 200, 1234);
    CHECK(line ==
          "192.0.2.7 - - [21/Nov/2026:05:37:09 +0000] \"GET /index.html?q=1 HTTP/1.1\" 200 1234 "
          "\"http://example.com/start\" \"Mozilla/5.0 (X11)\"\n");
}

TEST_CASE("access lines: '-' for no body, no referer, no agent, and 1.0 version", "[log]") {
    Request r;
    r.method = "HEAD";
    r.target = "/";
    r.version = {1, 0};
    r.peer.remote_address = "::1";
    std::string line;
    append_access_line(line, r, kNow, 304, 0);
    CHECK(line == "::1 - - [21/Nov/2026:05:37:09 +0000] \"HEAD / HTTP/1.0\" 304 - \"-\" \"-\"\n");
}

TEST_CASE("access lines append to the buffer", "[log]") {
    std::string buffer;
    append_access_line(buffer, sample_request(), kNow, 200, 1);
    append_access_line(buffer, sample_request(), kNow, 404, 2);
    CHECK(std::count(buffer.begin(), buffer.end(), '\n') == 2);
    CHECK(buffer.find("\" 404 2 \"") != std::string::npos);
}

TEST_CASE("hostile bytes in logged request fields are escaped", "[log]") {
    // A request must not be able to forge a log line or break a CLF parser.
    Request r = sample_request();
    r.method = "G\"ET";
    r.target = "/a\"b\\c\nX\r\x01\x7f\xff";
    r.headers = {};
    r.headers.add("Referer", "\" 200 0 \"-\" \"-\"\n1.2.3.4 - - [forged]");
    r.headers.add("User-Agent", std::string("nul\0tab\tend", 11));
    std::string line;
    append_access_line(line, r, kNow, 400, 0);
    CHECK(line ==
          "192.0.2.7 - - [21/Nov/2026:05:37:09 +0000] \"G\\\"ET "
          "/a\\\"b\\\\c\\x0aX\\x0d\\x01\\x7f\\xff HTTP/1.1\" 400 - "
          "\"\\\" 200 0 \\\"-\\\" \\\"-\\\"\\x0a1.2.3.4 - - [forged]\" "
          "\"nul\\x00tab\\x09end\"\n");
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
    // Every quote inside a quoted field is escaped: the line still has exactly 6 quote marks.
    std::size_t unescaped_quotes = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '"' && (i == 0 || line[i - 1] != '\\')) ++unescaped_quotes;
    }
    CHECK(unescaped_quotes == 6);
}

TEST_CASE("an error line: time, level, request id, client, message", "[log]") {
    std::string line = format_error_line("info", 4242, "192.0.2.7", "rejected request (400)");
    std::regex shape(
        R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \[info\] \[req 4242\] \[client 192\.0\.2\.7\] )"
        R"(rejected request \(400\)\n)");
    CHECK(std::regex_match(line, shape));
    // The timestamp is now.
    std::time_t before = std::time(nullptr);
    std::string stamped = format_error_line("notice", 0, "", "x");
    std::time_t after = std::time(nullptr);
    std::string stamp = stamped.substr(0, 20);
    CHECK((stamp == iso8601_utc(before) || stamp == iso8601_utc(after)));
}

TEST_CASE("error lines leave out an absent request id and client", "[log]") {
    std::string line = format_error_line("notice", 0, "", "listening on http://127.0.0.1:8080/");
    CHECK(line.substr(20) == " [notice] listening on http://127.0.0.1:8080/\n");
}

TEST_CASE("hostile bytes in error messages are escaped: one line per message", "[log]") {
    std::string line = format_error_line("error", 1, "::1", "bad\nline\r\x1b[31m\0end"s);
    CHECK(line.substr(20) == " [error] [req 1] [client ::1] bad\\x0aline\\x0d\\x1b[31m\\x00end\n");
}

TEST_CASE("LogFile: '-' writes to the given standard descriptor", "[log]") {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    {
        LogFile log;
        log.open("-", fds[1]);
        CHECK(log.enabled());
        log.write("line one\n");
    }  // a standard descriptor is not ours to close
    CHECK(::fcntl(fds[1], F_GETFD) >= 0);
    ::close(fds[1]);
    char buf[64] = {};
    CHECK(::read(fds[0], buf, sizeof buf) == 9);
    CHECK(std::string(buf) == "line one\n");
    ::close(fds[0]);
}

TEST_CASE("LogFile: 'off' writes nothing", "[log]") {
    LogFile log;
    log.open("off", STDOUT_FILENO);
    CHECK_FALSE(log.enabled());
    log.write("nothing\n");  // harmless
    log.reopen();
}

TEST_CASE("LogFile: a path is created, appended to, and private to the server", "[log]") {
    ScratchDir dir;
    fs::path path = dir.path / "access.log";
    { std::ofstream(path) << "existing\n"; }
    LogFile log;
    log.open(path.string(), STDOUT_FILENO);
    log.write("appended\n");
    CHECK(read_all(path) == "existing\nappended\n");

    fs::path fresh = dir.path / "new.log";
    LogFile created;
    created.open(fresh.string(), STDOUT_FILENO);
    created.write("x\n");
    struct stat st {};
    REQUIRE(::stat(fresh.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
}

TEST_CASE("LogFile: reopen after a rename writes to a new file at the old path", "[log]") {
    ScratchDir dir;
    fs::path path = dir.path / "error.log";
    fs::path rotated = dir.path / "error.log.1";
    LogFile log;
    log.open(path.string(), STDERR_FILENO);
    log.write("before\n");
    fs::rename(path, rotated);
    log.write("still old\n");  // until reopened, lines go to the renamed file
    log.reopen();
    log.write("after\n");
    CHECK(read_all(rotated) == "before\nstill old\n");
    CHECK(read_all(path) == "after\n");
}

TEST_CASE("LogFile: a path that cannot be opened is a ConfigError naming it", "[log]") {
    LogFile log;
    std::string message;
    try {
        log.open("/nonexistent-dir/cgikit.log", STDERR_FILENO);
    } catch (const ConfigError& e) {
        message = e.what();
    }
    CHECK(message.find("/nonexistent-dir/cgikit.log") != std::string::npos);
    CHECK_FALSE(log.enabled());
}

TEST_CASE("LogFile: hand_over_to gives a regular log file to the user, nothing else", "[log]") {
    ScratchDir dir;
    fs::path path = dir.path / "access.log";
    LogFile log;
    log.open(path.string(), STDOUT_FILENO);
    LogFile device;  // /dev/null as a log: never chown a device
    device.open("/dev/null", STDOUT_FILENO);
    LogFile standard;
    standard.open("-", STDOUT_FILENO);
    struct stat st {};
    if (::geteuid() != 0) {
        // Only root may give a file away; giving it to its owner is allowed and changes nothing.
        CHECK_FALSE(log.hand_over_to(::geteuid()));
        REQUIRE(::stat(path.c_str(), &st) == 0);
        CHECK(st.st_uid == ::geteuid());
        return;
    }
    constexpr uid_t kNobody = 65534;
    CHECK_FALSE(log.hand_over_to(kNobody));
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(st.st_uid == kNobody);
    CHECK(st.st_gid == ::getegid());  // group unchanged
    CHECK_FALSE(device.hand_over_to(kNobody));
    REQUIRE(::stat("/dev/null", &st) == 0);
    CHECK(st.st_uid == 0);
    CHECK_FALSE(standard.hand_over_to(kNobody));
}

TEST_CASE("a CGI stderr line is escaped exactly once in the error log", "[log]") {
    // The splitter hands raw lines; format_error_line is the one place that escapes.
    cgikit::handlers::StderrLineSplitter splitter(4096);
    auto lines = splitter.feed("C:\\dir\tx\x1b[31m\n");
    REQUIRE(lines.size() == 1);
    std::string line = format_error_line("cgi", 7, "::1", "/cgi-bin/s: " + lines[0]);
    CHECK(line.substr(20) == " [cgi] [req 7] [client ::1] /cgi-bin/s: C:\\\\dir\\x09x\\x1b[31m\n");
}

TEST_CASE("access lines: '-' for a request line that was never read", "[log]") {
    // Garbage, a TLS handshake on the HTTP port, a 414 or a 408 mid-line: the method or the target
    // is missing, and "  HTTP/1.1" would be a request the client never sent.
    Request r = sample_request();
    r.method.clear();
    r.target.clear();
    std::string line;
    append_access_line(line, r, kNow, 400, 110);
    CHECK(line.find("] \"-\" 400 110 \"") != std::string::npos);
    r.method = "GET";  // a 414: the method was read, the target was too long
    line.clear();
    append_access_line(line, r, kNow, 414, 112);
    CHECK(line.find("] \"-\" 414 112 \"") != std::string::npos);
}

TEST_CASE("LogFile: lines from several threads never interleave on a pipe", "[log]") {
    // POSIX write(2): writes of at most PIPE_BUF bytes to a pipe are not interleaved with others;
    // larger ones "may have data interleaved, on arbitrary boundaries". Each worker hands a batch
    // of up to 64 KiB of access lines in one write: on a pipe (`-` under a supervisor) with a slow
    // reader, two workers' batches used to interleave mid-line.
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    LogFile log;
    log.open("-", fds[1]);
    auto batch = [](char tag) {
        std::string text;
        for (int i = 0; text.size() < 200 * 1024; ++i)
            text +=
                std::string(1, tag) + " line " + std::to_string(i) + std::string(90, tag) + "\n";
        return text;
    };
    const std::string a = batch('a'), b = batch('b');
    std::thread writer_a([&] { log.write(a); });
    std::thread writer_b([&] { log.write(b); });
    std::string received;
    char buf[512];
    while (received.size() < a.size() + b.size()) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);  // a slow reader: the pipe stays full
        REQUIRE(n > 0);
        received.append(buf, static_cast<std::size_t>(n));
    }
    writer_a.join();
    writer_b.join();
    ::close(fds[0]);
    ::close(fds[1]);
    std::istringstream lines(received);
    std::string line;
    std::size_t mixed = 0, count = 0;
    while (std::getline(lines, line)) {
        ++count;
        if (line.find(line[0] == 'a' ? 'b' : 'a') != std::string::npos) ++mixed;
    }
    CHECK(count == static_cast<std::size_t>(std::count(a.begin(), a.end(), '\n')) * 2);
    CHECK(mixed == 0);
}

TEST_CASE("LogFile: failing writes are reported once, and so is recovery", "[log]") {
    // A full disk or a pipe nobody drains: lines are dropped (the server must not block or stop),
    // and the error log says so once when it starts and once when writing works again.
    int errors[2], access[2];
    REQUIRE(::pipe2(errors, O_CLOEXEC | O_NONBLOCK) == 0);
    REQUIRE(::pipe2(access, O_CLOEXEC | O_NONBLOCK) == 0);
    LogFile error_log;
    error_log.open("-", errors[1]);
    LogFile log;
    log.open("-", access[1]);
    log.report_failures_to(&error_log);
    const std::string line(100, 'x');
    const std::size_t capacity = static_cast<std::size_t>(::fcntl(access[1], F_GETPIPE_SZ));
    for (std::size_t i = 0; i < capacity / line.size() + 10; ++i)
        log.write(line + "\n");  // the last ones meet a full pipe: EAGAIN
    auto drain = [](int fd) {
        std::string out;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0)
            out.append(buf, static_cast<std::size_t>(n));
        return out;
    };
    std::string reported = drain(errors[0]);
    CHECK(std::count(reported.begin(), reported.end(), '\n') == 1);
    CHECK(reported.find("[error] cannot write to log file -: Resource temporarily unavailable") !=
          std::string::npos);
    drain(access[0]);
    log.write("again\n");
    reported = drain(errors[0]);
    CHECK(std::count(reported.begin(), reported.end(), '\n') == 1);
    CHECK(reported.find("[notice] writing to log file - again") != std::string::npos);
    CHECK(drain(access[0]) == "again\n");
    for (int fd : {errors[0], errors[1], access[0], access[1]})
        ::close(fd);
}
