// CGI over real sockets, the response side (issue 3, "Script output"): the script's head parsed
// as hostile input (RFC 3875 §6), redirects, invalid output as 502, and how the body is framed
// to the client. Raw bytes are read where a client library would hide the framing.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <set>
#include <string>
#include <utility>

#include "cgi_support.hpp"

using namespace cgikit::test;

namespace {

using Clock = std::chrono::steady_clock;

// Receives on `fd` into `buffer` until it contains `needle`; false on EOF or timeout.
bool recv_until(int fd, std::string& buffer, const std::string& needle,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = Clock::now() + timeout;
    while (buffer.find(needle) == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char chunk[65536];
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + 1)) {
        ++count;
    }
    return count;
}

// The error-log lines containing `needle`.
std::vector<std::string> log_lines_with(const std::string& log, const std::string& needle) {
    std::vector<std::string> out;
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.find(needle) != std::string::npos) out.push_back(line);
    }
    return out;
}

std::string request_id_of(const std::string& log_line) {
    const std::string tag = "[req ";
    auto at = log_line.find(tag);
    if (at == std::string::npos) return "";
    auto end = log_line.find(']', at);
    return end == std::string::npos ? "" : log_line.substr(at + tag.size(), end - at - tag.size());
}

}  // namespace

// ------------------------------------------------------------------------------- status, location

TEST_CASE("CGI output: Status sets the status and never reaches the client", "[cgi][output]") {
    TempDir root;
    TestServer server(cgi_server(root));
    auto plain = request(server.port(), get("/cgi-bin/status.sh?404"));
    CHECK(plain.status == 404);
    CHECK(plain.body == "status 404\n");
    CHECK(plain.header_count("Status") == 0);
    CHECK(plain.header("Content-Type") == "text/plain");
    auto reason = request(server.port(), get("/cgi-bin/status.sh?404+Not+Found"));
    CHECK(reason.status == 404);
    CHECK(reason.reason == "Not Found");
    CHECK(reason.body == "status 404 Not Found\n");
    CHECK(reason.header_count("Status") == 0);
    CHECK(request(server.port(), get("/cgi-bin/status.sh?503")).status == 503);
    CHECK(request(server.port(), get("/cgi-bin/status.sh?201+Created")).status == 201);
}

TEST_CASE("CGI output: an invalid Status is 502", "[cgi][output]") {
    TempDir root;
    TestServer server(cgi_server(root));
    for (const char* query : {"abc", "99", "100", "600", "2000", "404x", "40", ""}) {
        INFO("Status: " << query);
        auto r = request(server.port(), get(std::string("/cgi-bin/status.sh?") + query));
        CHECK(r.status == 502);
        CHECK(r.body.find("status") == std::string::npos);  // the server's page, not the script's
    }
    CHECK(server.wait_for_stderr("invalid Status"));
}

namespace {

// All bytes of the answer to GET /cgi-bin/status_reason.sh?<query>, on a connection of its own.
std::string status_reason_answer(std::uint16_t port, const std::string& query) {
    RawClient client(port);
    client.send(get("/cgi-bin/status_reason.sh?" + query, "Connection: close\r\n"));
    auto raw = client.read_until_close(std::chrono::seconds(3));
    REQUIRE(raw);
    return *raw;
}

}  // namespace

TEST_CASE("CGI output: the reason phrase of Status reaches the client when it is one",
          "[cgi][output]") {
    // RFC 3875 §6.3.3: Status = status-code SP reason-phrase; Apache forwards the script's
    // phrase. RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ). Longer than
    // kMaxReasonPhraseBytes (128) or empty: the standard phrase.
    TempDir root;
    TestServer server(cgi_server(root));
    const std::string r128(128, 'r');
    const std::pair<const char*, std::string> cases[] = {
        {"custom", "HTTP/1.1 404 Gone Fishing\r\n"},
        {"tab_obs_text", "HTTP/1.1 404 Gone\tFishing \xe9t\xe9\r\n"},
        {"at_bound", "HTTP/1.1 404 " + r128 + "\r\n"},
        {"long", "HTTP/1.1 404 Not Found\r\n"},
        {"empty", "HTTP/1.1 404 Not Found\r\n"},
        {"redirect", "HTTP/1.1 302 Look Elsewhere\r\n"},
    };
    for (const auto& [query, status_line] : cases) {
        INFO("status_reason.sh?" << query);
        std::string raw = status_reason_answer(server.port(), query);
        CHECK(raw.substr(0, raw.find('\n') + 1) == status_line);
    }
}

TEST_CASE("CGI output: a control byte in the reason phrase makes the head invalid: 502",
          "[cgi][output]") {
    // A control byte in any field value of the script's head is invalid output (RFC 9110 §5.5),
    // Status included: it never reaches the client's status line.
    TempDir root;
    TestServer server(cgi_server(root));
    for (const char* query : {"control", "del"}) {
        INFO("status_reason.sh?" << query);
        std::string raw = status_reason_answer(server.port(), query);
        CHECK(raw.rfind("HTTP/1.1 502 Bad Gateway\r\n", 0) == 0);
        CHECK(raw.find("Gone") == std::string::npos);
    }
    CHECK(server.wait_for_stderr("control byte in the value of Status"));
}

TEST_CASE("CGI output: absolute Location without Status is a 302 without the script's body",
          "[cgi][output][redirect]") {
    TempDir root;
    TestServer server(cgi_server(root));
    auto bare = request(server.port(), get("/cgi-bin/location_abs.sh"));
    CHECK(bare.status == 302);
    CHECK(bare.header("Location") == "http://example.com/x");
    auto with_body = request(server.port(), get("/cgi-bin/location_abs_body.sh"));
    CHECK(with_body.status == 302);
    CHECK(with_body.header("Location") == "http://example.com/y");
    CHECK(with_body.body.find("SCRIPT-BODY-MARKER") == std::string::npos);
    CHECK(with_body.header("Content-Type") != "text/plain");
}

TEST_CASE("CGI output: Location with Status keeps that status and the script's document",
          "[cgi][output][redirect]") {
    TempDir root;
    TestServer server(cgi_server(root));
    auto r = request(server.port(), get("/cgi-bin/location_with_status.sh"));
    CHECK(r.status == 301);
    CHECK(r.header("Location") == "http://example.com/moved");
    CHECK(r.header("Content-Type") == "text/html");
    CHECK(r.body == "<a href=\"http://example.com/moved\">moved</a>\n");
}

TEST_CASE("CGI output: a local Location is served internally as a GET with REDIRECT_*",
          "[cgi][output][redirect]") {
    TempDir root;
    root.write("static.txt", "static content\n");
    TestServer server(cgi_server(root));

    auto r = request(server.port(), get("/cgi-bin/location_local.sh?orig=1"));
    REQUIRE(r.status == 200);
    auto env = parse_env(r.body);
    CHECK(env["REQUEST_METHOD"] == "GET");
    CHECK(env["SCRIPT_NAME"] == "/cgi-bin/env.sh");
    CHECK(env["QUERY_STRING"] == "from=redirect");
    CHECK(env["REQUEST_URI"] == "/cgi-bin/env.sh?from=redirect");
    CHECK(env["REDIRECT_URL"] == "/cgi-bin/location_local.sh");
    CHECK(env["REDIRECT_QUERY_STRING"] == "orig=1");
    CHECK(env["REDIRECT_STATUS"] == "200");
    CHECK(r.header_count("Location") == 0);

    // A POST becomes a GET and its body is not replayed.
    auto posted =
        request(server.port(), post("/cgi-bin/location_local.sh", "a=1",
                                    "Content-Type: application/x-www-form-urlencoded\r\n"));
    auto posted_env = parse_env(posted.body);
    CHECK(posted_env["REQUEST_METHOD"] == "GET");
    CHECK(posted_env.count("CONTENT_LENGTH") == 0);
    CHECK(posted_env.count("CONTENT_TYPE") == 0);
    CHECK(posted_env.count("REDIRECT_QUERY_STRING") == 0);
    CHECK(request(server.port(), post("/cgi-bin/location_stdin.sh", std::string(5000, 'p'))).body ==
          "0\n");
    // The target may be a static file (a POST to it would be 405).
    auto to_static = request(server.port(), post("/cgi-bin/location_static.sh", "x=1"));
    CHECK(to_static.status == 200);
    CHECK(to_static.body == "static content\n");

    // The connection stays usable: the POST body was consumed, not left as a next request.
    RawClient client(server.port());
    client.send(post("/cgi-bin/location_stdin.sh", "GET /not-a-request HTTP/1.1\r\n\r\n") +
                get("/cgi-bin/content_length.sh"));
    auto first = client.read_response();
    auto second = client.read_response();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->body == "0\n");
    CHECK(second->body == "hello\n");
}

TEST_CASE("CGI output: internal redirects stop after 5 hops with 500", "[cgi][output][redirect]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());  // the hop count is per request, not per connection
    for (const char* query : {"5", "5", "6", "0"}) {
        INFO(query);
        client.send(get(std::string("/cgi-bin/redirect_chain.sh?") + query));
        auto r = client.read_response();
        REQUIRE(r);
        if (std::string(query) == "6") {
            CHECK(r->status == 500);
        } else {
            CHECK(r->status == 200);
            CHECK(r->body == "arrived\n");
        }
    }
    CHECK(request(server.port(), get("/cgi-bin/location_loop.sh")).status == 500);
    CHECK(server.wait_for_stderr("too many internal redirects"));
}

TEST_CASE("CGI output: HEAD on a local redirect gets the target's head and no body",
          "[cgi][output][redirect]") {
    TempDir root;
    root.write("static.txt", "static content\n");
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send(
        "HEAD /cgi-bin/location_local.sh HTTP/1.1\r\nHost: t\r\n\r\n"
        "HEAD /cgi-bin/location_static.sh HTTP/1.1\r\nHost: t\r\n\r\n" +
        get("/cgi-bin/content_length.sh"));
    auto to_script = client.read_response(true);
    REQUIRE(to_script);
    CHECK(to_script->status == 200);
    auto to_static = client.read_response(true);
    REQUIRE(to_static);
    CHECK(to_static->status == 200);
    CHECK(to_static->header("Content-Length") == "15");
    // RFC 9110 §9.3.2: no content in a response to HEAD; the next response follows the heads.
    auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->status == 200);
    CHECK(next->body == "hello\n");
}

// ---------------------------------------------------------------------------------- invalid heads

TEST_CASE("CGI output: invalid output is 502", "[cgi][output]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());  // one connection: a 502 leaves it usable
    for (const char* name : {"no_output.sh", "partial_head.sh", "bad_header.sh",
                             "no_content_type.sh", "transfer_encoding.sh", "crasher.sh"}) {
        INFO(name);
        client.send(get(std::string("/cgi-bin/") + name));
        auto r = client.read_response();
        REQUIRE(r);
        CHECK(r->status == 502);
        CHECK(r->header_count("Transfer-Encoding") == 0);
        CHECK(r->header_count("X-Partial") == 0);
        // The server's own page, never a piece of the script's output.
        CHECK(r->header("Content-Type") == "text/html; charset=utf-8");
        CHECK(r->body.find("502 Bad Gateway") != std::string::npos);
        CHECK(r->body.find("colon") == std::string::npos);
        CHECK(r->body.find("without content type") == std::string::npos);
        CHECK(r->body.find("hello") == std::string::npos);
        CHECK(server.wait_for_stderr(std::string("invalid output from ") + cgi_fixtures() + "/" +
                                     name));
    }
    client.send(get("/cgi-bin/content_length.sh"));
    auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->body == "hello\n");
}

TEST_CASE("CGI output: a 204 or 304 from the script carries no body, the stream stays in step",
          "[cgi][output][framing]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send(get("/cgi-bin/status.sh?204") + get("/cgi-bin/status.sh?304") +
                get("/cgi-bin/content_length.sh"));
    for (int status : {204, 304}) {
        INFO(status);
        auto r = client.read_response();
        REQUIRE(r);
        CHECK(r->status == status);
        CHECK(r->header_count("Transfer-Encoding") == 0);
        CHECK(r->header("Content-Length").value_or("0") == "0");
    }
    auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->status == 200);
    CHECK(next->body == "hello\n");
}

TEST_CASE("CGI output: header lines may end in LF alone", "[cgi][output]") {
    TempDir root;
    TestServer server(cgi_server(root));
    auto r = request(server.port(), get("/cgi-bin/lf_only.sh"));
    CHECK(r.status == 200);
    CHECK(r.header("X-Lf") == "yes");
    CHECK(r.header("Content-Type") == "text/plain");
    CHECK(r.body == "lf body\n");
}

TEST_CASE("CGI output: a head over the cgi.output limits is 502", "[cgi][output]") {
    TempDir root;
    TestServer server(cgi_server(root, R"({"cgi": {"output": {"max_header_line_bytes": 1000,
                                                             "max_header_bytes": 4000,
                                                             "max_header_fields": 10}}})"));
    auto status_of = [&](const std::string& query) {
        return request(server.port(), get("/cgi-bin/head_limits.sh?" + query)).status;
    };
    CHECK(status_of("1x900") == 200);   // "X-Pad-1: " + 900 = 909 bytes
    CHECK(status_of("1x1100") == 502);  // one line over 1000
    CHECK(status_of("9x10") == 200);    // 10 fields with Content-Type
    CHECK(status_of("10x10") == 502);   // 11 fields
    CHECK(status_of("3x900") == 200);   // ~2.8 KB in all
    CHECK(status_of("5x900") == 502);   // ~4.6 KB: every line fine, the block too long
    auto ok = request(server.port(), get("/cgi-bin/head_limits.sh?3x900"));
    CHECK(ok.header("X-Pad-3") == std::string(900, 'a'));
    CHECK(ok.body == "body\n");
}

TEST_CASE("CGI output: Set-Cookie repeats stay separate, hop-by-hop fields are dropped",
          "[cgi][output]") {
    TempDir root;
    TestServer server(cgi_server(root));
    auto r = request(server.port(), get("/cgi-bin/cookies_hop.sh"));
    REQUIRE(r.status == 200);
    REQUIRE(r.header_count("Set-Cookie") == 2);
    std::vector<std::string> cookies;
    for (const auto& [name, value] : r.headers) {
        if (name == "Set-Cookie") cookies.push_back(value);
    }
    CHECK(cookies == std::vector<std::string>{"a=1; Path=/", "b=2; HttpOnly"});
    CHECK(r.header("X-Kept") == "yes");
    for (const char* dropped :
         {"X-Private", "Keep-Alive", "Upgrade", "Trailer", "TE", "Proxy-Connection", "Status"}) {
        INFO(dropped);
        CHECK(r.header_count(dropped) == 0);
    }
    CHECK(r.header("Connection").value_or("").find("X-Private") == std::string::npos);
    // Date and Server are the server's own, once each.
    CHECK(r.header_count("Date") == 1);
    CHECK(r.header("Date") != "Mon, 01 Jan 2001 00:00:00 GMT");
    CHECK(r.header_count("Server") == 1);
    CHECK(r.header("Server") != "script-server");
    CHECK(r.body == "cookies\n");
}

// ------------------------------------------------------------------------------------- framing

TEST_CASE("CGI output: an honest Content-Length is used and the connection stays open",
          "[cgi][output][framing]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    for (int i = 0; i < 3; ++i) {
        INFO("request " << i);
        client.send(get("/cgi-bin/content_length.sh"));
        auto r = client.read_response();
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->header("Content-Length") == "6");
        CHECK(r->header_count("Transfer-Encoding") == 0);
        CHECK(r->body == "hello\n");
    }
}

TEST_CASE("CGI output: a short Content-Length closes the connection, never desynchronises",
          "[cgi][output][framing]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send(get("/cgi-bin/content_length_liar.sh") + get("/cgi-bin/content_length.sh"));
    auto raw = client.read_until_close(std::chrono::seconds(3));
    REQUIRE(raw);
    INFO(*raw);
    CHECK(raw->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(raw->find("Content-Length: 100\r\n") != std::string::npos);
    // The 10 bytes it wrote, then the close: nothing that could pass as the next response.
    CHECK(raw->substr(raw->find("\r\n\r\n") + 4) == "0123456789");
    CHECK(count_of(*raw, "HTTP/1.1") == 1);
    CHECK(server.wait_for_stderr("content_length_liar.sh wrote less than its Content-Length"));
    // A cut response is still a request served: it gets its access-log line, with its status.
    CHECK(server.wait_for_stdout("\"GET /cgi-bin/content_length_liar.sh HTTP/1.1\" 200"));
}

TEST_CASE("CGI output: overrunning Content-Length sends exactly the promised bytes, then closes",
          "[cgi][output][framing]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send(get("/cgi-bin/content_length_overrun.sh") + get("/cgi-bin/content_length.sh"));
    auto raw = client.read_until_close(std::chrono::seconds(3));
    REQUIRE(raw);
    INFO(*raw);
    CHECK(raw->find("Content-Length: 5\r\n") != std::string::npos);
    CHECK(raw->substr(raw->find("\r\n\r\n") + 4) == "hello");
    CHECK(count_of(*raw, "HTTP/1.1") == 1);
}

TEST_CASE("CGI output: chunked on HTTP/1.1 without a length, streamed as written",
          "[cgi][output][framing]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send(get("/cgi-bin/slow_body.sh"));
    std::string raw;
    REQUIRE(recv_until(client.fd(), raw, "line 1\n"));
    // The first line arrives while the script still sleeps before writing the last one.
    CHECK(raw.find("line 5") == std::string::npos);
    CHECK(raw.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
    CHECK(raw.find("Content-Length") == std::string::npos);
    CHECK(raw.find("\r\n\r\n7\r\nline 1\n\r\n") != std::string::npos);
    REQUIRE(recv_until(client.fd(), raw, "\r\n0\r\n\r\n"));
    CHECK(raw.substr(raw.find("\r\n\r\n") + 4) ==
          "7\r\nline 1\n\r\n7\r\nline 2\n\r\n7\r\nline 3\n\r\n7\r\nline 4\n\r\n"
          "7\r\nline 5\n\r\n0\r\n\r\n");
    // Keep-alive continues after the last chunk.
    client.send(get("/cgi-bin/content_length.sh"));
    std::string next;
    CHECK(recv_until(client.fd(), next, "\r\n\r\nhello\n"));
}

TEST_CASE("CGI output: close-delimited on HTTP/1.0", "[cgi][output][framing]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send("GET /cgi-bin/lf_only.sh HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    auto raw = client.read_until_close(std::chrono::seconds(3));
    REQUIRE(raw);
    INFO(*raw);
    auto head = raw->substr(0, raw->find("\r\n\r\n"));
    CHECK(head.find("Content-Length") == std::string::npos);
    CHECK(head.find("Transfer-Encoding") == std::string::npos);
    CHECK(raw->substr(raw->find("\r\n\r\n") + 4) == "lf body\n");
}

TEST_CASE("CGI output: HEAD drops the body, the connection stays in step", "[cgi][output]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send(
        "HEAD /cgi-bin/content_length.sh HTTP/1.1\r\nHost: t\r\n\r\n"
        "HEAD /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\n\r\n" +
        get("/cgi-bin/content_length.sh"));
    auto with_length = client.read_response(true);
    REQUIRE(with_length);
    CHECK(with_length->status == 200);
    CHECK(with_length->header("Content-Length") == "6");
    auto without_length = client.read_response(true);
    REQUIRE(without_length);
    CHECK(without_length->status == 200);
    CHECK(without_length->header("Content-Type") == "application/octet-stream");
    // The GET right after finds its response exactly where the HEAD responses ended.
    auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->status == 200);
    CHECK(next->body == "hello\n");
}

TEST_CASE("CGI output: NPH bytes pass through unchanged and the connection closes",
          "[cgi][output][nph]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send(get("/cgi-bin/nph-hello.sh") + get("/cgi-bin/content_length.sh"));
    auto raw = client.read_until_close(std::chrono::seconds(3));
    REQUIRE(raw);
    CHECK(*raw ==
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
          "Connection: close\r\n\r\nhello world\n");
}

TEST_CASE("CGI output: the access log shows the status an NPH script sent", "[cgi][output][nph]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send(get("/cgi-bin/nph-status.sh?404"));
    auto raw = client.read_until_close(std::chrono::seconds(3));
    REQUIRE(raw);
    CHECK(raw->rfind("HTTP/1.1 404 Chosen\r\n", 0) == 0);
    REQUIRE(server.wait_for_stdout("\"GET /cgi-bin/nph-status.sh?404 HTTP/1.1\" "));
    CHECK(server.stdout_text().find("\"GET /cgi-bin/nph-status.sh?404 HTTP/1.1\" 404 ") !=
          std::string::npos);
}

// ------------------------------------------------------------------------- exits, crashes, stderr

TEST_CASE("CGI output: a non-zero exit after a valid response leaves the response standing",
          "[cgi][output]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send(get("/cgi-bin/exit_nonzero.sh"));
    auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "exiting with 3\n");
    client.send(get("/cgi-bin/content_length.sh"));
    auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->body == "hello\n");
}

TEST_CASE("CGI output: the error log records a script's non-zero exit and its crash signal",
          "[cgi][output][log]") {
    TempDir root;
    TestServer server(cgi_server(root));
    CHECK(request(server.port(), get("/cgi-bin/exit_nonzero.sh")).status == 200);
    CHECK(server.wait_for_stderr(cgi_fixtures() + "/exit_nonzero.sh exit 3",
                                 std::chrono::seconds(2)));
    CHECK(request(server.port(), get("/cgi-bin/crasher.sh")).status == 502);
    CHECK(server.wait_for_stderr(cgi_fixtures() + "/crasher.sh killed by SIGSEGV",
                                 std::chrono::seconds(2)));
}

TEST_CASE("CGI output: a crash after the headers truncates the response visibly", "[cgi][output]") {
    TempDir root;
    TestServer server(cgi_server(root));
    RawClient client(server.port());
    client.send(get("/cgi-bin/crasher_after_headers.sh"));
    auto raw = client.read_until_close(std::chrono::seconds(3));
    // The server must close the connection without the last chunk, so that the client sees a
    // truncated response instead of a complete one.
    REQUIRE(raw);
    INFO(*raw);
    CHECK(raw->find("partial body\n") != std::string::npos);
    CHECK(raw->find("\r\n0\r\n\r\n") == std::string::npos);
    CHECK(server.wait_for_stderr("crasher_after_headers.sh died mid-response"));
    CHECK(server.wait_for_stdout("\"GET /cgi-bin/crasher_after_headers.sh HTTP/1.1\" 200"));
}

TEST_CASE("CGI stderr: logged line by line with the request id and the script path",
          "[cgi][output][log]") {
    TempDir root;
    TestServer server(cgi_server(root, R"({"cgi": {"output": {"max_stderr_line_bytes": 100}}})"));
    CHECK(request(server.port(), get("/cgi-bin/stderr_lines.sh?one")).body == "ok\n");
    CHECK(request(server.port(), get("/cgi-bin/stderr_lines.sh?two")).body == "ok\n");
    const std::string prefix = cgi_fixtures() + "/stderr_lines.sh: ";
    // The last stderr line of each request is the 300-byte one, logged in 3 pieces: wait for all.
    std::string log;
    CHECK(eventually(
        [&] {
            log = server.stderr_text();
            return log_lines_with(log, prefix + std::string(100, 'x')).size() >= 6;
        },
        std::chrono::seconds(5)));

    std::set<std::string> ids;
    for (const char* query : {"one", "two"}) {
        INFO(query);
        auto first = log_lines_with(log, prefix + "first stderr line " + query);
        auto second = log_lines_with(log, prefix + "second stderr line " + query);
        REQUIRE(first.size() == 1);
        REQUIRE(second.size() == 1);
        CHECK(first[0].find("[cgi]") != std::string::npos);
        CHECK(first[0].find("[client 127.0.0.1]") != std::string::npos);
        std::string id = request_id_of(first[0]);
        CHECK_FALSE(id.empty());
        CHECK(request_id_of(second[0]) == id);
        ids.insert(id);
    }
    CHECK(ids.size() == 2);  // each request its own id

    // The 300-byte line: split at the 100-byte limit into exactly 3 pieces per request.
    auto pieces = log_lines_with(log, prefix + std::string(100, 'x'));
    CHECK(pieces.size() == 6);
    CHECK(log_lines_with(log, std::string(101, 'x')).empty());
}

TEST_CASE("CGI stderr: a 1 MiB flood before the headers still yields the response",
          "[cgi][output][log]") {
    TempDir root;
    TestServer server(cgi_server(root));
    auto started = Clock::now();
    auto r = request(server.port(), get("/cgi-bin/stderr_flood.sh"));
    CHECK(r.status == 200);
    CHECK(r.body == "after the flood\n");
    CHECK(Clock::now() - started < std::chrono::seconds(5));
    CHECK(server.wait_for_stderr("stderr_flood.sh: stderr flood line"));
    // Bounded log lines: no line of the flood is longer than the configured limit plus prefix.
    for (const auto& line : log_lines_with(server.stderr_text(), "stderr_flood.sh: ")) {
        CHECK(line.size() < 4096 + 512);
    }
}
