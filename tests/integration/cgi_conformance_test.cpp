// CGI conformance over real sockets: cases where cgikitd once disagreed with RFC 3875 (and RFC
// 9110/9112 for what reaches the client), each checked against the raw bytes a client receives.
// Apache mod_cgi and lighttpd mod_cgi were run on the same scripts for comparison.
#include <catch2/catch.hpp>

#include "cgi_support.hpp"

using namespace cgikit::test;

namespace {

std::map<std::string, std::string> env_of(std::uint16_t port, const std::string& raw_request) {
    auto r = request(port, raw_request);
    REQUIRE(r.status == 200);
    return parse_env(r.body);
}

}  // namespace

TEST_CASE("CGI conformance: an empty POST body is a body (CONTENT_LENGTH=0, CONTENT_TYPE kept)",
          "[cgi][conformance][env]") {
    // RFC 9112 §6: Content-Length frames a body, of length 0 here; RFC 3875 §4.1.2/§4.1.3 then
    // require CONTENT_LENGTH and CONTENT_TYPE. A form without fields posts exactly this.
    TempDir root;
    TestServer server(cgi_server(root));
    auto env = env_of(server.port(), post("/cgi-bin/env.sh", "",
                                          "Content-Type: application/x-www-form-urlencoded\r\n"));
    CHECK(env["REQUEST_METHOD"] == "POST");
    CHECK(env["CONTENT_LENGTH"] == "0");
    CHECK(env["CONTENT_TYPE"] == "application/x-www-form-urlencoded");
    CHECK(env.count("HTTP_CONTENT_LENGTH") == 0);

    // Without Content-Length or chunked there is no body, whatever Content-Type says.
    auto get_env = env_of(server.port(), get("/cgi-bin/env.sh", "Content-Type: text/plain\r\n"));
    CHECK(get_env.count("CONTENT_LENGTH") == 0);
    CHECK(get_env.count("CONTENT_TYPE") == 0);
}

namespace {

// Sends `requests` on one connection (the last should close it) and returns every byte received.
std::string raw_exchange(std::uint16_t port, const std::string& requests) {
    RawClient client(port);
    client.send(requests);
    auto all = client.read_until_close();
    REQUIRE(all);
    return *all;
}

// The responses in `raw`, split where each "HTTP/1.1 " status line starts.
std::vector<std::string> split_responses(const std::string& raw) {
    std::vector<std::string> responses;
    std::size_t at = raw.find("HTTP/1.1 ");
    while (at != std::string::npos) {
        std::size_t next = raw.find("HTTP/1.1 ", at + 1);
        responses.push_back(raw.substr(at, next == std::string::npos ? next : next - at));
        at = next;
    }
    return responses;
}

}  // namespace

TEST_CASE("CGI conformance: a head without Content-Type and without a body is a response",
          "[cgi][conformance][output]") {
    // RFC 3875 §6.3.1 wants Content-Type only with a body. "Status: 404 Not Found" and a blank
    // line is a common way to say "not found"; it was a 502. Apache and lighttpd pass it on.
    TempDir root;
    TestServer server(cgi_server(root));
    std::string raw =
        raw_exchange(server.port(),
                     get("/cgi-bin/canned.sh?status-only") + get("/cgi-bin/canned.sh?field-only") +
                         get("/cgi-bin/canned.sh?status-200", "Connection: close\r\n"));
    auto responses = split_responses(raw);
    REQUIRE(responses.size() == 3);
    CHECK(responses[0].starts_with("HTTP/1.1 404 Not Found\r\n"));
    CHECK(responses[1].starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(responses[1].find("\r\nX-Foo: bar\r\n") != std::string::npos);
    CHECK(responses[2].starts_with("HTTP/1.1 200 OK\r\n"));
    for (const auto& response : responses) {
        INFO(response);
        CHECK(response.find("\r\nContent-Length: 0\r\n") != std::string::npos);
        CHECK(response.find("Content-Type") == std::string::npos);
        CHECK(response.ends_with("\r\n\r\n"));  // the head, and no body
    }

    // With a body, Content-Type stays required.
    auto with_body = request(server.port(), get("/cgi-bin/canned.sh?field-then-body"));
    CHECK(with_body.status == 502);
    CHECK(with_body.body.find("untyped body") == std::string::npos);
}

TEST_CASE("CGI conformance: a 205 from a script has no content, framed as Content-Length: 0",
          "[cgi][conformance][output]") {
    // RFC 9110 §15.3.6: a server MUST NOT generate content in a 205. The script's "hello" went
    // out chunked; lighttpd sends Content-Length: 0 (Apache forwards the content).
    TempDir root;
    TestServer server(cgi_server(root));
    std::string raw = raw_exchange(
        server.port(), get("/cgi-bin/canned.sh?reset-content") +
                           get("/cgi-bin/canned.sh?status-only", "Connection: close\r\n"));
    CHECK(raw.find("hello") == std::string::npos);
    auto responses = split_responses(raw);
    REQUIRE(responses.size() == 2);
    CHECK(responses[0].starts_with("HTTP/1.1 205 Reset Content\r\n"));
    CHECK(responses[0].find("\r\nContent-Length: 0\r\n") != std::string::npos);
    CHECK(responses[0].find("Transfer-Encoding") == std::string::npos);
    CHECK(responses[0].ends_with("\r\n\r\n"));
    CHECK(responses[1].starts_with("HTTP/1.1 404 Not Found\r\n"));  // the stream stayed in step
}

TEST_CASE("CGI conformance: with an absolute-form target, HTTP_HOST is the target's authority",
          "[cgi][conformance][env]") {
    // RFC 9112 §3.2.2: the Host header MUST be ignored then; SERVER_NAME already followed the
    // target, HTTP_HOST (what scripts build their URLs from) passed the ignored header on.
    TempDir root;
    TestServer server(cgi_server(root));
    auto env =
        env_of(server.port(),
               "GET http://www.example.org:99/cgi-bin/env.sh HTTP/1.1\r\nHost: other:5\r\n\r\n");
    CHECK(env["HTTP_HOST"] == "www.example.org:99");
    CHECK(env["SERVER_NAME"] == "www.example.org");
    CHECK(env["REQUEST_URI"] == "http://www.example.org:99/cgi-bin/env.sh");
}

TEST_CASE("CGI conformance: a script that appears while its body is read still gets the body",
          "[cgi][conformance][env]") {
    // The body is spooled when a CGI mapping claims the path, decided from the head; the script
    // is looked up again once the body is in. A script missing at the first look and present at
    // the second ran with CONTENT_LENGTH=4 and an empty stdin (RFC 3875 §4.2: the server MUST
    // make the body available on stdin), had the spool depended on the script existing.
    TempDir root;
    TempDir bin;
    TestServer::Options options;
    options.root = root.path();
    options.extra_args = {"--cgi-bin", "/cgi-bin/=" + bin.path()};
    options.workers = 1;
    TestServer server(options);

    RawClient client(server.port());
    client.send("POST /cgi-bin/late.sh HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n");
    REQUIRE(eventually([&] { return server_has_read_everything(client.fd(), server.port()); }));
    bin.write("late.sh", "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nwc -c\n", 0755);
    client.send("abcd");
    auto response = client.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "4\n");
}
