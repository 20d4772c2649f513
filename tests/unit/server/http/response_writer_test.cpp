// Response heads (RFC 9112 §4, §6): status line, Date and Server first, the handler's fields in
// order, then framing (Content-Length or chunked) and persistence (Connection).
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "http/response_writer.hpp"
#include "http/status.hpp"

using cgikit::http::append_response_head;
using cgikit::http::body_length;
using cgikit::http::FileBody;
using cgikit::http::HeadOptions;
using cgikit::http::is_forwardable_reason_phrase;
using cgikit::http::kMaxReasonPhraseBytes;
using cgikit::http::reason_phrase;
using cgikit::http::Response;
using cgikit::http::status_forbids_body;
using cgikit::http::status_forbids_content;
using cgikit::http::StreamBody;

namespace {

constexpr const char* kDate = "Sat, 21 Nov 2026 05:37:09 GMT";

HeadOptions options() {
    HeadOptions o;
    o.date = kDate;
    o.server = "cgikit/test";
    return o;
}

std::string head_of(const Response& response, const HeadOptions& o) {
    std::string out;
    append_response_head(out, response, o);
    return out;
}

}  // namespace

TEST_CASE("a keep-alive 1.1 response: status line, Date, Server, fields, Content-Length",
          "[response_writer]") {
    Response r;
    r.status = 200;
    r.headers.add("Content-Type", "text/plain");
    r.headers.add("ETag", "\"x\"");
    auto o = options();
    o.content_length = 12;
    CHECK(head_of(r, o) ==
          "HTTP/1.1 200 OK\r\n"
          "Date: Sat, 21 Nov 2026 05:37:09 GMT\r\n"
          "Server: cgikit/test\r\n"
          "Content-Type: text/plain\r\n"
          "ETag: \"x\"\r\n"
          "Content-Length: 12\r\n"
          "\r\n");
}

TEST_CASE("the head is appended to what the buffer holds", "[response_writer]") {
    std::string out = "previous";
    Response r;
    auto o = options();
    o.content_length = 0;
    append_response_head(out, r, o);
    CHECK(out.rfind("previousHTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(out.ends_with("Content-Length: 0\r\n\r\n"));
}

TEST_CASE("Connection: close when the connection will close", "[response_writer]") {
    Response r;
    r.status = 400;
    auto o = options();
    o.keep_alive = false;
    o.content_length = 5;
    std::string head = head_of(r, o);
    CHECK(head.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
    CHECK(head.ends_with("Content-Length: 5\r\nConnection: close\r\n\r\n"));

    o.client_is_http10 = true;  // closing a 1.0 connection is said the same way
    CHECK(head_of(r, o).ends_with("Connection: close\r\n\r\n"));
}

TEST_CASE("keep-alive with a 1.0 client is said explicitly, with 1.1 it is the default",
          "[response_writer]") {
    Response r;
    auto o = options();
    o.content_length = 0;
    CHECK(head_of(r, o).find("Connection") == std::string::npos);
    o.client_is_http10 = true;
    CHECK(head_of(r, o).ends_with("Connection: keep-alive\r\n\r\n"));
}

TEST_CASE("we always answer as HTTP/1.1, whatever the client spoke", "[response_writer]") {
    Response r;
    auto o = options();
    o.client_is_http10 = true;
    CHECK(head_of(r, o).rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
}

TEST_CASE("chunked framing and no Content-Length for streamed bodies", "[response_writer]") {
    Response r;
    r.body = StreamBody{};
    auto o = options();
    o.chunked = true;
    std::string head = head_of(r, o);
    CHECK(head.find("Content-Length") == std::string::npos);
    CHECK(head.ends_with("Transfer-Encoding: chunked\r\n\r\n"));
}

TEST_CASE("no framing fields when none is asked for (1xx, 204, 304)", "[response_writer]") {
    Response r;
    r.status = 304;
    r.headers.add("ETag", "\"v\"");
    std::string head = head_of(r, options());
    CHECK(head ==
          "HTTP/1.1 304 Not Modified\r\nDate: Sat, 21 Nov 2026 05:37:09 GMT\r\nServer: "
          "cgikit/test\r\nETag: \"v\"\r\n\r\n");
}

TEST_CASE("duplicate fields are written once each, in order", "[response_writer]") {
    Response r;
    r.headers.add("Set-Cookie", "a=1");
    r.headers.add("Vary", "Accept");
    r.headers.add("Set-Cookie", "b=2");
    std::string head = head_of(r, options());
    auto a = head.find("Set-Cookie: a=1\r\n");
    auto vary = head.find("Vary: Accept\r\n");
    auto b = head.find("Set-Cookie: b=2\r\n");
    REQUIRE(a != std::string::npos);
    REQUIRE(vary != std::string::npos);
    REQUIRE(b != std::string::npos);
    CHECK(a < vary);
    CHECK(vary < b);
}

TEST_CASE("every line ends with CRLF and the head with an empty line", "[response_writer]") {
    Response r;
    r.status = 404;
    r.headers.add("Content-Type", "text/html; charset=utf-8");
    auto o = options();
    o.content_length = 99;
    o.keep_alive = false;
    std::string head = head_of(r, o);
    REQUIRE(head.ends_with("\r\n\r\n"));
    CHECK(head.find("\r\n\r\n") == head.size() - 4);
    for (std::size_t i = 0; i < head.size(); ++i) {
        if (head[i] == '\n') CHECK((i > 0 && head[i - 1] == '\r'));
    }
}

TEST_CASE("reason phrases", "[response_writer]") {
    CHECK(reason_phrase(200) == "OK");
    CHECK(reason_phrase(206) == "Partial Content");
    CHECK(reason_phrase(301) == "Moved Permanently");
    CHECK(reason_phrase(304) == "Not Modified");
    CHECK(reason_phrase(400) == "Bad Request");
    CHECK(reason_phrase(404) == "Not Found");
    CHECK(reason_phrase(405) == "Method Not Allowed");
    CHECK(reason_phrase(408) == "Request Timeout");
    CHECK(reason_phrase(413) == "Content Too Large");
    CHECK(reason_phrase(414) == "URI Too Long");
    CHECK(reason_phrase(416) == "Range Not Satisfiable");
    CHECK(reason_phrase(417) == "Expectation Failed");
    CHECK(reason_phrase(431) == "Request Header Fields Too Large");
    CHECK(reason_phrase(500) == "Internal Server Error");
    CHECK(reason_phrase(501) == "Not Implemented");
    CHECK(reason_phrase(505) == "HTTP Version Not Supported");
    CHECK(reason_phrase(299) == "Unknown");
    Response r;
    r.status = 599;
    CHECK(head_of(r, options()).rfind("HTTP/1.1 599 Unknown\r\n", 0) == 0);
}

TEST_CASE("statuses without a body (RFC 9110 section 6.4.1)", "[response_writer]") {
    CHECK(status_forbids_body(100));
    CHECK(status_forbids_body(101));
    CHECK(status_forbids_body(199));
    CHECK(status_forbids_body(204));
    CHECK(status_forbids_body(304));
    CHECK_FALSE(status_forbids_body(200));
    CHECK_FALSE(status_forbids_body(205));
    CHECK_FALSE(status_forbids_body(404));
}

TEST_CASE("statuses without content: those without a body, and 205 (RFC 9110 section 15.3.6)",
          "[response_writer]") {
    for (int status : {100, 101, 199, 204, 205, 304})
        CHECK(status_forbids_content(status));
    for (int status : {200, 206, 404})
        CHECK_FALSE(status_forbids_content(status));
}

TEST_CASE("body_length of each kind of body", "[response_writer]") {
    Response empty;
    CHECK(body_length(empty) == 0);
    Response text;
    text.body = std::string("hello");
    CHECK(body_length(text) == 5);
    Response file;
    file.body = FileBody{cgikit::net::unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)), 10, 42};
    CHECK(body_length(file) == 42);
    Response stream;
    stream.body = StreamBody{7};
    CHECK(body_length(stream) == 0);  // streamed bodies are framed by the connection
}

TEST_CASE("status_line_code reads the code of a status line and nothing else", "[status]") {
    CHECK(cgikit::http::status_line_code("HTTP/1.1 404 Not Found\r\n") == 404);
    CHECK(cgikit::http::status_line_code("HTTP/1.0 200 OK") == 200);
    CHECK(cgikit::http::status_line_code("HTTP/1.1 204\r\n") == 204);
    CHECK(cgikit::http::status_line_code("HTTP/1.1 301") == 301);
    CHECK_FALSE(cgikit::http::status_line_code("HTTP/1.1 30"));      // cut short
    CHECK_FALSE(cgikit::http::status_line_code("HTTP/1.1 3011 X"));  // four digits
    CHECK_FALSE(cgikit::http::status_line_code("HTTP/11 200 OK"));
    CHECK_FALSE(cgikit::http::status_line_code("http/1.1 200 OK"));  // the name is case-sensitive
    CHECK_FALSE(cgikit::http::status_line_code("Status: 200 OK\r\n"));
    CHECK_FALSE(cgikit::http::status_line_code("HTTP/1.1  200 OK"));
    CHECK_FALSE(cgikit::http::status_line_code(""));
}

TEST_CASE("a reason phrase of the response replaces the standard one", "[response_writer]") {
    // RFC 3875 §6.3.3: a script's Status carries its own reason-phrase; Apache forwards it.
    Response r;
    r.status = 404;
    r.reason = "Gone Fishing";
    auto o = options();
    o.content_length = 0;
    CHECK(head_of(r, o) ==
          "HTTP/1.1 404 Gone Fishing\r\n"
          "Date: Sat, 21 Nov 2026 05:37:09 GMT\r\n"
          "Server: cgikit/test\r\n"
          "Content-Length: 0\r\n"
          "\r\n");
    // RFC 9112 §4: HTAB, SP and obs-text are reason-phrase bytes too.
    r.reason = "Gone\tFishing \xe9t\xe9";
    CHECK(head_of(r, o).rfind("HTTP/1.1 404 Gone\tFishing \xe9t\xe9\r\nDate: ", 0) == 0);
    r.reason = std::string(kMaxReasonPhraseBytes, 'r');
    CHECK(head_of(r, o).rfind("HTTP/1.1 404 " + r.reason + "\r\nDate: ", 0) == 0);
}

TEST_CASE("a reason phrase that is not one, or too long, gives way to the standard one",
          "[response_writer]") {
    Response r;
    r.status = 404;
    auto o = options();
    for (std::string bad :
         {std::string("Gone\r\nSet-Cookie: a=b"), std::string("Gone\nFishing"),
          std::string("Gone\x01"), std::string("Gone\x7f"), std::string("Gone\0Fishing", 12),
          std::string(kMaxReasonPhraseBytes + 1, 'r')}) {
        INFO("reason: " << bad);
        CHECK_FALSE(is_forwardable_reason_phrase(bad));
        r.reason = bad;
        CHECK(head_of(r, o) ==
              "HTTP/1.1 404 Not Found\r\n"
              "Date: Sat, 21 Nov 2026 05:37:09 GMT\r\n"
              "Server: cgikit/test\r\n"
              "\r\n");
    }
    // Empty: RFC 9112 §4 allows a status line without a phrase, but the standard one says more.
    r.reason.clear();
    CHECK_FALSE(is_forwardable_reason_phrase(""));
    CHECK(head_of(r, o).rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
}
