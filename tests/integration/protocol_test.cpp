// HTTP/1.1 over real sockets (RFC 9110/9112): persistence, pipelining, 100-continue, the headers
// every response carries, and strict parsing: a refused request gets its status, the connection
// closes, and nothing pipelined behind it is ever answered.
//
// Tests tagged [!mayfail] show where cgikitd disagrees with the RFCs or the foundation issue today
// (see the report); they should pass once the parser is fixed. Tests tagged [strict] were such
// disagreements (llhttp without strict mode lets them through), now refused by the parser wrapper.
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "raw_request.hpp"
#include "site.hpp"
#include "test_server.hpp"

using namespace cgikit::test;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

// A body that takes many socket writes, for the pipelining test.
const SiteFile kBigFile = {"big.bin", std::string(200'000, 'b')};

// Small limits so that limit tests stay small; a short header timeout bounds a test that fails by
// waiting for bytes that never come.
const std::string kConfig = R"({
    "limits": {"request_line_bytes": 256, "header_bytes": 1024, "header_fields": 10,
               "body_bytes": 64},
    "timeouts": {"header_read": 1}
})";

// Pipelined behind a request that should be refused. It asks for the connection to be closed so
// that a server which wrongly accepts the first request still ends the exchange at once.
const std::string kPostRequest = "POST /hello.txt HTTP/1.1\r\nHost: t\r\n";

const std::string kFollowUp = get("/hello.txt", "Connection: close\r\n");

bool has_crlf_framing(const HttpResponse& r) {
    return r.header("Date").has_value() && r.header("Server").value_or("").rfind("cgikit/", 0) == 0;
}

// Sends `request` with a valid request pipelined behind it in the same write, and checks: exactly
// one response with `status`, "Connection: close", then the server closes the connection.
void check_refused(std::uint16_t port, const std::string& request, int status) {
    INFO("request: " << request.substr(0, 120));
    RawClient client(port);
    client.send(request + kFollowUp);
    auto response = client.read_response(false, 3s);
    REQUIRE(response);
    CHECK(response->status == status);
    CHECK(response->header("Connection") == "close");
    CHECK(has_crlf_framing(*response));
    CHECK(response->header("Content-Length") == std::to_string(response->body.size()));
    auto rest = client.read_until_close(3s);
    REQUIRE(rest);         // the server closed the connection
    CHECK(rest->empty());  // and never answered the pipelined request
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Persistence (RFC 9112 §9.3)

TEST_CASE("keep-alive: several requests on one connection", "[protocol]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    for (int i = 0; i < 5; ++i) {
        INFO("request " << i);
        client.send(get(i % 2 == 0 ? "/hello.txt" : "/"));
        auto r = client.read_response();
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK_FALSE(r->header("Connection"));  // persistence is the 1.1 default
    }
    CHECK_FALSE(client.closed_by_server(100ms));
}

TEST_CASE("Connection: close: the server closes after the response", "[protocol]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    client.send(get("/hello.txt", "Connection: close\r\n"));
    auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "hello world\n");
    CHECK(r->header("Connection") == "close");
    auto rest = client.read_until_close(2s);
    REQUIRE(rest);
    CHECK(rest->empty());
}

TEST_CASE("HTTP/1.0 without keep-alive: the server closes", "[protocol]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    client.send("GET /hello.txt HTTP/1.0\r\n\r\n" + kFollowUp);
    auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->version == "HTTP/1.1");  // RFC 9110 §6.2: we answer with our own version
    CHECK(r->header("Connection") == "close");
    auto rest = client.read_until_close(2s);
    REQUIRE(rest);
    CHECK(rest->empty());
}

TEST_CASE("HTTP/1.0 with Connection: keep-alive stays open and says so", "[protocol]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    for (int i = 0; i < 3; ++i) {
        client.send("GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        auto r = client.read_response();
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->header("Connection") == "keep-alive");
        CHECK(r->header("Content-Length") == "12");
    }
    CHECK_FALSE(client.closed_by_server(100ms));
}

// ------------------------------------------------------------------------------------------------
// Pipelining (RFC 9112 §9.3.2)

TEST_CASE("pipelining: requests in one write are answered in order, HEAD included", "[protocol]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    client.send(get("/hello.txt") + "HEAD /index.html HTTP/1.1\r\nHost: t\r\n\r\n" + get("/") +
                get("/missing"));
    auto first = client.read_response();
    REQUIRE(first);
    CHECK(first->status == 200);
    CHECK(first->body == "hello world\n");
    auto head = client.read_response(true);
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->header("Content-Length") == "14");
    auto third = client.read_response();  // starts right after the HEAD's head: no body bytes
    REQUIRE(third);
    CHECK(third->status == 200);
    CHECK(third->body == "<h1>home</h1>\n");
    auto fourth = client.read_response();
    REQUIRE(fourth);
    CHECK(fourth->status == 404);
    CHECK_FALSE(client.closed_by_server(100ms));
}

TEST_CASE("pipelining: a long burst with bodies and large responses", "[protocol]") {
    Site site({kBigFile});
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    std::string burst;
    for (int i = 0; i < 60; ++i) {
        if (i % 10 == 3) {
            burst += "POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcde";
        } else if (i % 10 == 7) {
            burst += get("/big.bin");
        } else {
            burst += get("/hello.txt?n=" + std::to_string(i));
        }
    }
    client.send(burst);
    for (int i = 0; i < 60; ++i) {
        INFO("response " << i);
        auto r = client.read_response();
        REQUIRE(r);
        if (i % 10 == 3) {
            CHECK(r->status == 405);
        } else if (i % 10 == 7) {
            CHECK(r->status == 200);
            CHECK(r->body.size() == 200'000);
        } else {
            CHECK(r->status == 200);
            CHECK(r->body == "hello world\n");
        }
    }
}

TEST_CASE("a body on a static request is read and discarded, the next request follows",
          "[protocol]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    client.send(get("/hello.txt", "Content-Length: 10\r\n") + "0123456789" + get("/"));
    auto first = client.read_response();
    REQUIRE(first);
    CHECK(first->body == "hello world\n");
    auto second = client.read_response();
    REQUIRE(second);
    CHECK(second->body == "<h1>home</h1>\n");
    client.send(
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
        "\r\n" +
        get("/"));
    auto third = client.read_response();
    REQUIRE(third);
    CHECK(third->body == "hello world\n");
    auto fourth = client.read_response();
    REQUIRE(fourth);
    CHECK(fourth->body == "<h1>home</h1>\n");
}

// ------------------------------------------------------------------------------------------------
// Expect: 100-continue (RFC 9110 §10.1.1)

TEST_CASE("Expect: 100-continue to a static file: the final response at once, no interim 100",
          "[protocol]") {
    // The answer does not depend on the body, so it comes without a 100 and the body is never
    // waited for; the connection closes, since the client may or may not send the body (RFC 9110
    // §10.1.1). A script that reads the body gets the 100: see http_conformance_test.
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    client.send(
        "POST /hello.txt HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    auto final_response = client.read_response(false, 2s);
    REQUIRE(final_response);
    CHECK(final_response->status == 405);
    CHECK(final_response->header("Allow") == "GET, HEAD, OPTIONS");
    CHECK(final_response->header("Connection") == "close");
    CHECK(client.closed_by_server(2s));
}

TEST_CASE("Expect: 100-continue without a body gets no interim response", "[protocol]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    client.send(get("/hello.txt", "Expect: 100-continue\r\n"));
    auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
}

TEST_CASE("an expectation other than 100-continue -> 417", "[protocol]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    check_refused(server.port(), get("/hello.txt", "Expect: teapot\r\n"), 417);
}

// ------------------------------------------------------------------------------------------------
// What every response carries

TEST_CASE("Date, Server and Content-Length on every response, small HTML error bodies",
          "[protocol]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    struct Case {
        std::string request;
        int status;
    };
    for (const auto& c : std::vector<Case>{
             {get("/hello.txt"), 200},
             {get("/"), 200},
             {get("/missing"), 404},
             {get("/hello.txt", "Range: bytes=0-1\r\n"), 206},
             {get("/hello.txt", "Range: bytes=99-\r\n"), 416},
             {"DELETE /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", 405},
             {"BREW /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", 501},
             {"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", 200},
             {"GET / HTTP/1.1\r\n\r\n", 400},
             {get("/%00"), 400},
         }) {
        INFO(c.request);
        HttpResponse r = request(server.port(), c.request);
        CHECK(r.status == c.status);
        CHECK(r.version == "HTTP/1.1");
        CHECK(r.header_count("Date") == 1);
        CHECK(r.header("Date").value_or("").size() == 29);  // IMF-fixdate
        CHECK(r.header("Date").value_or("").ends_with(" GMT"));
        CHECK(r.header_count("Server") == 1);
        CHECK(r.header_count("Content-Length") == 1);
        CHECK(r.header("Content-Length") == std::to_string(r.body.size()));
        if (c.status >= 400) {
            CHECK(r.header("Content-Type") == "text/html; charset=utf-8");
            CHECK(r.body.find("<html") != std::string::npos);
            CHECK(r.body.find(std::to_string(c.status)) != std::string::npos);
            CHECK(r.body.size() < 512);
        }
    }
}

TEST_CASE("304 carries Date and Server but no body", "[protocol]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    std::string etag = *request(server.port(), get("/hello.txt")).header("ETag");
    RawClient client(server.port());
    client.send(get("/hello.txt", "If-None-Match: " + etag + "\r\n") + get("/"));
    auto not_modified = client.read_response();
    REQUIRE(not_modified);
    CHECK(not_modified->status == 304);
    CHECK(has_crlf_framing(*not_modified));
    auto next = client.read_response();  // no stray body bytes between the two
    REQUIRE(next);
    CHECK(next->body == "<h1>home</h1>\n");
}

// ------------------------------------------------------------------------------------------------
// Strictness over a socket: status, close, nothing pipelined answered

TEST_CASE("refused requests: status, close, the pipelined request is never answered",
          "[protocol][strict]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    struct Case {
        std::string request;
        int status;
    };
    const std::string& post = kPostRequest;
    for (const auto& c : std::vector<Case>{
             {"GET /hello.txt HTTP/1.1\r\n\r\n", 400},     // no Host
             {get("/hello.txt", "Host: other\r\n"), 400},  // duplicate Host
             {post + "Content-Length: -1\r\n\r\n", 400},
             {post + "Content-Length: 1Z\r\n\r\nx", 400},
             {post + "Content-Length: +1\r\n\r\nx", 400},
             {post + "Content-Length: 1 2\r\n\r\nxx", 400},
             {post + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nxx", 400},
             {post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
             {post + "Transfer-Encoding: gzip\r\n\r\n", 400},
             {post + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
             {post + "Transfer-Encoding: identity\r\n\r\n", 400},
             {post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
             {"POST /hello.txt HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
             {get("/hello.txt", "X: a\0b\r\n"s), 400},               // NUL in a value
             {get("/hello.txt", "X: a\rb\r\n"), 400},                // CR alone
             {get("/hello.txt", "X\x7f: 1\r\n"), 400},               // DEL in a name
             {get("/hello.txt", "X: \x01\r\n"), 400},                // control byte
             {"GET /hello.txt HTTP/1.1\rHost: t\r\n\r\n", 400},      // bare CR line end
             {"GET /hello.txt HTTP/1.1\r\nHost: t\nX: 1\n\n", 400},  // bare LF after a field
             {"GET /hello.txt FOO/1.1\r\nHost: t\r\n\r\n", 400},
             {"GET /hello.txt HTTP/2.0\r\nHost: t\r\n\r\n", 505},
             {"BREW /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", 501},
             {"G@T /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", 400},
             {"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"s, 400},  // a TLS ClientHello
             {get("/hello.txt#frag"), 400},
             {"GET * HTTP/1.1\r\nHost: t\r\n\r\n", 400},
             {get("/hello.txt", "Expect: nothing\r\n"), 417},
             {post + "Transfer-Encoding: chunked\r\n\r\nZ\r\nabc\r\n0\r\n\r\n", 400},
             {post + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 400},
             {post + "Transfer-Encoding: chunked\r\n\r\n3;\x01\r\nabc\r\n0\r\n\r\n", 400},
         }) {
        check_refused(server.port(), c.request, c.status);
    }
}

TEST_CASE("an upload still arriving after its 413 does not reset the answer away",
          "[protocol][limits]") {
    // Refused on its head, the client keeps sending the body it announced. Closing with those
    // bytes unread would send a reset that destroys the 413 in the client's buffer (RFC 9112
    // §9.6): the server must read and drop them until the client is done (lingering close).
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    // Like a browser: the whole upload goes out before the answer is read. Every byte must be
    // taken: a server that closed instead would reset the connection, and send() would fail.
    const std::string upload =
        "POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 4000000\r\n\r\n" +
        std::string(2 * 1024 * 1024, 'x');
    std::size_t sent = 0;
    while (sent < upload.size()) {
        ssize_t n = ::send(client.fd(), upload.data() + sent, upload.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    CHECK(sent == upload.size());
    auto answer = client.read_response(false, 3s);
    REQUIRE(answer);
    CHECK(answer->status == 413);
    // Lingering ends when the client has finished: its FIN lets the server close at once.
    client.shutdown_write();
    CHECK(client.closed_by_server(3s));
}

TEST_CASE("limits: 414, 431 for bytes and for fields, 413 declared and chunked",
          "[protocol][limits]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    check_refused(server.port(), get("/" + std::string(300, 'a')), 414);
    check_refused(server.port(), get("/hello.txt", "X-Big: " + std::string(1100, 'v') + "\r\n"),
                  431);
    std::string fields;
    for (int i = 0; i < 10; ++i)
        fields += "X-" + std::to_string(i) + ": v\r\n";
    check_refused(server.port(), get("/hello.txt", fields), 431);
    check_refused(server.port(),
                  "POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\n\r\n", 413);
    check_refused(
        server.port(),
        "POST /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" +
            std::string(64, 'x') + "\r\n1\r\nx\r\n0\r\n\r\n",
        413);
    // Just under the limits: served.
    std::string nine_fields;
    for (int i = 0; i < 8; ++i)
        nine_fields += "X-" + std::to_string(i) + ": v\r\n";
    CHECK(request(server.port(), get("/hello.txt", nine_fields)).status == 200);
    CHECK(request(server.port(), get("/hello.txt?" + std::string(200, 'q'))).status == 200);
    CHECK(
        request(server.port(), "POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 64\r\n\r\n" +
                                   std::string(64, 'x'))
            .status == 405);
}

TEST_CASE("limits are enforced while the bytes arrive, not after", "[protocol][limits]") {
    // A client that never ends its request line or header block is refused as soon as it is over
    // the limit; the server does not wait for the end of the line.
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient line(server.port());
    line.send("GET /" + std::string(400, 'a'));
    auto r = line.read_response(false, 2s);
    REQUIRE(r);
    CHECK(r->status == 414);
    RawClient header(server.port());
    header.send("GET / HTTP/1.1\r\nHost: t\r\nX: " + std::string(2000, 'v'));
    auto h = header.read_response(false, 2s);
    REQUIRE(h);
    CHECK(h->status == 431);
}

TEST_CASE("the default limits: 8 KiB request line, 16 KiB header block, 100 fields",
          "[protocol][limits]") {
    Site site;
    TestServer server({.root = site.dir.path()});
    CHECK(request(server.port(), get("/hello.txt?" + std::string(7000, 'q'))).status == 200);
    check_refused(server.port(), get("/" + std::string(8200, 'a')), 414);
    CHECK(request(server.port(), get("/hello.txt", "X: " + std::string(15000, 'v') + "\r\n"))
              .status == 200);
    check_refused(server.port(), get("/hello.txt", "X: " + std::string(17000, 'v') + "\r\n"), 431);
    std::string fields;
    for (int i = 0; i < 100; ++i)
        fields += "X-" + std::to_string(i) + ": v\r\n";
    check_refused(server.port(), get("/hello.txt", fields), 431);
}

// ------------------------------------------------------------------------------------------------
// What llhttp lets through and the parser wrapper refuses (see the request parser unit tests)

TEST_CASE("an Upgrade request gets exactly one response", "[protocol]") {
    // RFC 9110 §7.8: a server may ignore Upgrade, and then it answers the request normally. A
    // phantom empty message after it (answered 400) would be a response the client never asked
    // for, and every later response would be off by one. (curl --http2 against http:// sends
    // exactly this.)
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    client.send(get("/hello.txt",
                    "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: "
                    "AAMAAABkAARAAAAAAAIAAAAA\r\n"));
    auto first = client.read_response();
    REQUIRE(first);
    CHECK(first->status == 200);
    client.send(get("/", "Connection: close\r\n"));
    auto second = client.read_response();
    REQUIRE(second);
    CHECK(second->status == 200);
    CHECK(second->body == "<h1>home</h1>\n");
    auto rest = client.read_until_close(2s);
    REQUIRE(rest);
    CHECK(rest->empty());
}

TEST_CASE("obs-fold -> 400", "[protocol][strict]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    check_refused(server.port(), get("/hello.txt", "X: a\r\n b\r\n"), 400);
}

TEST_CASE("whitespace before the colon, an empty field name -> 400", "[protocol][strict]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    check_refused(server.port(), get("/hello.txt", "X : b\r\n"), 400);
    check_refused(server.port(), get("/hello.txt", ": b\r\n"), 400);
}

TEST_CASE("a fragment after the query -> 400", "[protocol][strict]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    check_refused(server.port(), get("/hello.txt?a#frag"), 400);
}

TEST_CASE("an RTSP request line -> 400", "[protocol][strict]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    check_refused(server.port(), "GET /hello.txt RTSP/1.0\r\nHost: t\r\n\r\n", 400);
}

TEST_CASE("HTTP/1.2 and HTTP/3.0 -> 505", "[protocol][strict]") {
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    check_refused(server.port(), "GET /hello.txt HTTP/1.2\r\nHost: t\r\n\r\n", 505);
    check_refused(server.port(), "GET /hello.txt HTTP/3.0\r\nHost: t\r\n\r\n", 505);
}

TEST_CASE("chunk data not followed by CRLF -> 400", "[protocol][strict]") {
    // A request smuggling vector: the two bytes after the chunk data are skipped unchecked.
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    check_refused(server.port(),
                  kPostRequest + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n", 400);
}

TEST_CASE("an HTTP/0.9 request is refused with 400 at once", "[protocol][strict]") {
    // Not after the header timeout (1 s in this config), waiting for a version that never comes.
    Site site;
    TestServer server({.root = site.dir.path(), .config_json = kConfig});
    RawClient client(server.port());
    client.send("GET /hello.txt\r\n");
    auto r = client.read_response(false, 500ms);
    REQUIRE(r);
    CHECK(r->status == 400);
}
