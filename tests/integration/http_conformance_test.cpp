// RFC 9110 / RFC 9112 conformance over real sockets, one case per finding of the conformance
// review: the exact bytes a client sends, and what the RFC (or, where it leaves a choice, the
// behaviour nginx, lighttpd and Apache share) says must come back.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>

#include "raw_request.hpp"
#include "site.hpp"
#include "test_server.hpp"

using namespace cgikit::test;
using namespace std::chrono_literals;

namespace {

// An IMF-fixdate as seconds since the epoch; nullopt when it is not one.
std::optional<std::time_t> parse_imf_fixdate(const std::string& text) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') return std::nullopt;
    return ::timegm(&tm);
}

// Sets the modification time of `path` to `seconds` from now.
void set_mtime_from_now(const std::string& path, std::time_t seconds) {
    struct timespec times[2] = {};
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = std::time(nullptr) + seconds;
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Host (RFC 9112 §3.2)

TEST_CASE("a Host that is not uri-host [ \":\" port ] -> 400, and the connection closes",
          "[conformance]") {
    // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
    // request message that [...] contains [...] a Host header field with an invalid field value."
    // (Apache and lighttpd refuse these; they used to be served.)
    Site site;
    TestServer server({.root = site.dir.path()});
    for (const char* host : {"a:b:c", "example.com:80x", "[::1", "[::1]x"}) {
        INFO("Host: " << host);
        RawClient client(server.port());
        client.send("GET /hello.txt HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n" +
                    get("/hello.txt"));
        auto r = client.read_response(false, 3s);
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(r->header("Connection") == "close");
        auto rest = client.read_until_close(3s);
        REQUIRE(rest);
        CHECK(rest->empty());
    }
    CHECK(request(server.port(), "GET /hello.txt HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").status ==
          200);
}

TEST_CASE("whitespace in the head counts against its limits: 414 and 431, not read forever",
          "[conformance]") {
    // Spaces between the request-line's parts and OWS before a field value were not counted: a
    // head could grow without end under the 8 KiB / 16 KiB limits (nginx and Apache answer 414 /
    // 400, lighttpd 431, within a few MiB).
    Site site;
    TestServer server({.root = site.dir.path()});
    struct Case {
        std::string head;
        int status;
    };
    for (const Case& c :
         {Case{"GET" + std::string(64 * 1024, ' '), 414},
          Case{"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX:" + std::string(64 * 1024, ' '), 431}}) {
        INFO(c.status);
        RawClient client(server.port());
        client.send(c.head);
        auto r = client.read_response(false, 3s);
        REQUIRE(r);
        CHECK(r->status == c.status);
        CHECK(r->header("Connection") == "close");
    }
}

// ------------------------------------------------------------------------------------------------
// Validators (RFC 9110 §8.8)

TEST_CASE("a file modified in the future: Last-Modified is no later than Date", "[conformance]") {
    // RFC 9110 §8.8.2.1: "An origin server with a clock MUST NOT generate a Last-Modified date
    // that is later than the server's time of message origination (Date). If the last
    // modification time [...] evaluates to some time in the future [...] the origin server MUST
    // replace that value with the message origination date." (Apache does; it used to be sent.)
    Site site;
    std::string path = site.dir.write("future.txt", "from the future\n");
    set_mtime_from_now(path, 24 * 3600);
    std::string big_path = site.dir.write("future.bin", std::string(20'000, 'f'));
    set_mtime_from_now(big_path, 24 * 3600);
    TestServer server({.root = site.dir.path()});
    for (const char* target : {"/future.txt", "/future.txt", "/future.bin"}) {  // cached, too
        INFO(target);
        auto r = request(server.port(), get(target));
        REQUIRE(r.status == 200);
        auto date = parse_imf_fixdate(r.header("Date").value_or(""));
        auto modified = parse_imf_fixdate(r.header("Last-Modified").value_or(""));
        REQUIRE(date);
        REQUIRE(modified);
        CHECK(*modified <= *date);
    }
}

// ------------------------------------------------------------------------------------------------
// Static files

TEST_CASE("an index file that is a symlink inside the root is served like any file",
          "[conformance]") {
    // /dir/index.html -> ../hello.txt is served at /dir/index.html (symlinks inside the root are
    // followed); /dir/ used to be a 403 because only the index lookup refused symlinks. nginx and
    // lighttpd serve it. A symlink leaving the root stays refused either way.
    TempDir outer;
    outer.write("secret.txt", "SECRET\n");
    outer.write("root/hello.txt", "hello world\n");
    outer.mkdir("root/in");
    outer.mkdir("root/out");
    const std::string root = outer.path() + "/root";
    REQUIRE(::symlink("../hello.txt", (root + "/in/index.html").c_str()) == 0);
    REQUIRE(::symlink((outer.path() + "/secret.txt").c_str(), (root + "/out/index.html").c_str()) ==
            0);
    TestServer server({.root = root});

    auto direct = request(server.port(), get("/in/index.html"));
    CHECK(direct.status == 200);
    auto index = request(server.port(), get("/in/"));
    CHECK(index.status == 200);
    CHECK(index.body == "hello world\n");
    CHECK(index.header("ETag") == direct.header("ETag"));

    auto out = request(server.port(), get("/out/"));
    CHECK((out.status == 403 || out.status == 404));
    CHECK(out.body.find("SECRET") == std::string::npos);
}

TEST_CASE("a FIFO in the root is a 404 and never stalls the worker", "[conformance]") {
    // Opening a FIFO for reading waits for a writer: the worker thread used to stop there, and
    // with it every connection it served. nginx says 404; lighttpd and Apache 403.
    Site site;
    const std::string fifo = site.dir.path() + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    TestServer server({.root = site.dir.path(), .workers = 1});
    RawClient client(server.port());
    client.send(get("/fifo"));
    auto r = client.read_response(false, 3s);
    if (!r) {
        // Release the blocked worker so that the server can stop.
        int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (writer >= 0) ::close(writer);
    }
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(request(server.port(), get("/hello.txt")).status == 200);
}

// ------------------------------------------------------------------------------------------------
// CGI responses

TEST_CASE("a 205 from a script goes out without content, framed by Content-Length: 0",
          "[conformance]") {
    // RFC 9110 §15.3.6: "a server MUST NOT generate content in a 205 response". Unlike 204, a 205
    // is not delimited by its header section (RFC 9112 §6.3), so it needs explicit framing. The
    // script's body used to be forwarded, chunked.
    Site site;
    TestServer server({.root = site.dir.path(),
                       .extra_args = {"--cgi-bin", "/cgi-bin/=" + fixtures_dir() + "/cgi-bin"}});
    for (const char* method : {"GET", "HEAD"}) {
        INFO(method);
        RawClient client(server.port());
        client.send(std::string(method) + " /cgi-bin/status.sh?205 HTTP/1.1\r\nHost: t\r\n\r\n" +
                    get("/hello.txt"));
        auto reset = client.read_response(std::string(method) == "HEAD", 5s);
        REQUIRE(reset);
        CHECK(reset->status == 205);
        CHECK(reset->header("Content-Length") == "0");
        CHECK_FALSE(reset->header("Transfer-Encoding"));
        CHECK(reset->body.empty());
        auto next = client.read_response(false, 5s);  // the stream is still in step
        REQUIRE(next);
        CHECK(next->status == 200);
        CHECK(next->body == "hello world\n");
    }
}

TEST_CASE("a path segment longer than NAME_MAX is a 404, not a 414", "[conformance]") {
    // The request line (308 bytes) is far under the 8 KiB limit: nothing is too long for the
    // server to interpret; no file can have that name. (nginx and lighttpd: 404.)
    Site site;
    TestServer server({.root = site.dir.path()});
    auto r = request(server.port(), get("/" + std::string(300, 'n')));
    CHECK(r.status == 404);
}

// ------------------------------------------------------------------------------------------------
// Chunked request bodies (RFC 9112 §7.1)

TEST_CASE("an endless chunk extension is refused, not read forever", "[conformance]") {
    // RFC 9112 §7.1.1: a server ought to limit chunk extensions and answer 4xx beyond the limit.
    // They used to be read without bound, past the body limit (64 bytes here), as long as the
    // client kept sending (Node.js CVE-2024-22019).
    Site site;
    TestServer server(
        {.root = site.dir.path(), .config_json = R"({"limits": {"body_bytes": 64}})"});
    for (const std::string& framing : {"1;" + std::string(64 * 1024, 'e'),  // one endless line
                                       std::string(64 * 1024, '0')}) {      // endless zeros
        RawClient client(server.port());
        client.send("POST /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                    framing);
        auto r = client.read_response(false, 3s);
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(r->header("Connection") == "close");
    }
}

// ------------------------------------------------------------------------------------------------
// Expect: 100-continue (RFC 9110 §10.1.1)

namespace {

std::string post_expecting_continue(const std::string& target, std::size_t length,
                                    const std::string& version = "HTTP/1.1") {
    return "POST " + target + " " + version +
           "\r\nHost: t\r\nContent-Length: " + std::to_string(length) +
           "\r\nExpect: 100-continue\r\n\r\n";
}

}  // namespace

TEST_CASE("Expect: 100-continue whose answer needs no body: the final status at once, no 100",
          "[conformance]") {
    // RFC 9110 §10.1.1: a server MAY omit the 100 when it responds with a final status, and then
    // SHOULD say whether it closes the connection. Every request was answered 100 and its whole
    // body read (uploaded for nothing) before a 405 or 404 that the head had already decided.
    // Apache and lighttpd answer such refusals before any 100, with "Connection: close".
    Site site;
    TestServer server({.root = site.dir.path(),
                       .extra_args = {"--cgi-bin", "/cgi-bin/=" + fixtures_dir() + "/cgi-bin"}});
    struct Case {
        std::string head;
        int status;
    };
    for (const Case& c : {
             Case{post_expecting_continue("/hello.txt", 1000000), 405},
             Case{post_expecting_continue("/cgi-bin/missing.sh", 1000000), 404},
             Case{post_expecting_continue("/cgi-bin/not_executable.sh", 1000000), 403},
             Case{post_expecting_continue("/%zz", 1000000), 400},
             // A GET with content: the file, framed as always.
             Case{get("/hello.txt", "Content-Length: 1000000\r\nExpect: 100-continue\r\n"), 200},
         }) {
        INFO(c.head);
        RawClient client(server.port());
        client.send(c.head);  // and never the body: the answer must not wait for it
        auto r = client.read_response(false, 3s);
        REQUIRE(r);
        CHECK(r->status == c.status);
        // The client may send the body or not: what follows cannot be told from a next request.
        CHECK(r->header("Connection") == "close");
        if (c.status == 405) CHECK(r->header("Allow") == "GET, HEAD, OPTIONS");
        if (c.status == 200) CHECK(r->body == "hello world\n");
        CHECK(client.closed_by_server(3s));
    }
}

TEST_CASE("Expect: 100-continue answered early: a body sent anyway does not reset the answer",
          "[conformance]") {
    // A client need not wait for the 100 (RFC 9110 §10.1.1): here the whole body follows the head
    // at once. The early 405 must arrive whole, not be destroyed by a reset when the server closes
    // with the body unread (RFC 9112 §9.6).
    Site site;
    TestServer server({.root = site.dir.path()});
    const std::size_t length = 4 * 1024 * 1024;
    RawClient client(server.port());
    client.send(post_expecting_continue("/hello.txt", length) + std::string(length, 'b'));
    auto r = client.read_response(false, 5s);
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK(r->header("Connection") == "close");
    CHECK(client.closed_by_server(5s));
}

TEST_CASE("Expect: 100-continue to a script that can run: 100, then the body, then its answer",
          "[conformance]") {
    Site site;
    TestServer server({.root = site.dir.path(),
                       .extra_args = {"--cgi-bin", "/cgi-bin/=" + fixtures_dir() + "/cgi-bin"}});
    RawClient client(server.port());
    client.send(post_expecting_continue("/cgi-bin/stdin_len.sh", 5));
    auto interim = client.read_response(false, 3s);
    REQUIRE(interim);
    CHECK(interim->status == 100);
    client.send("hello");
    auto r = client.read_response(false, 5s);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "5\n");
    CHECK_FALSE(r->header("Connection"));  // the body was read: the connection goes on
    client.send(get("/hello.txt"));
    auto next = client.read_response(false, 3s);
    REQUIRE(next);
    CHECK(next->body == "hello world\n");
}

TEST_CASE("Expect: 100-continue in an HTTP/1.0 request is ignored", "[conformance]") {
    // RFC 9110 §10.1.1: "A server that receives a 100-continue expectation in an HTTP/1.0 request
    // MUST ignore that expectation": no 100, no early answer; the body is read as usual.
    Site site;
    TestServer server({.root = site.dir.path(),
                       .extra_args = {"--cgi-bin", "/cgi-bin/=" + fixtures_dir() + "/cgi-bin"}});
    for (const char* target : {"/cgi-bin/stdin_len.sh", "/hello.txt"}) {
        INFO(target);
        RawClient client(server.port());
        client.send(post_expecting_continue(target, 5, "HTTP/1.0") + "hello");
        auto r = client.read_response(false, 5s);
        REQUIRE(r);
        CHECK(r->status == (std::string(target) == "/hello.txt" ? 405 : 200));
        if (r->status == 200) CHECK(r->body == "5\n");
        CHECK(client.closed_by_server(3s));
    }
}

// ------------------------------------------------------------------------------------------------
// An empty host name (RFC 9110 §4.2.1)

TEST_CASE("a Host or absolute-form authority with a port but no host name -> 400",
          "[conformance]") {
    // RFC 9110 §4.2.1: an "http" URI with an empty host identifier is invalid, and a recipient
    // "MUST reject it". "Host: :80" and "http://:80/" named one and were served. (nginx, lighttpd
    // and Apache refuse "Host: :80"; nginx and lighttpd the absolute form too.)
    Site site;
    TestServer server({.root = site.dir.path()});
    for (const std::string& head :
         {std::string("GET /hello.txt HTTP/1.1\r\nHost: :80\r\n\r\n"),
          std::string("GET /hello.txt HTTP/1.1\r\nHost: :\r\n\r\n"),
          std::string("GET http://:80/hello.txt HTTP/1.1\r\nHost: test\r\n\r\n")}) {
        INFO(head);
        RawClient client(server.port());
        client.send(head + get("/hello.txt"));
        auto r = client.read_response(false, 3s);
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(r->header("Connection") == "close");
    }
    // An empty Host stays allowed: the target URI then has no authority and the server's own name
    // applies (RFC 9112 §3.2, §3.3), a choice the peers do not make (they answer 400).
    CHECK(request(server.port(), "GET /hello.txt HTTP/1.1\r\nHost:\r\n\r\n").status == 200);
}
