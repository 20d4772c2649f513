#include "handlers/cgi_output_parser.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using cgikit::handlers::CgiOutputParser;
using cgikit::handlers::CgiOutputState;
using cgikit::handlers::CgiResponseKind;
using cgikit::handlers::CgiSettings;

namespace {

// Everything the parser says about one output, in comparable form.
struct Outcome {
    CgiOutputState state = CgiOutputState::NeedMore;
    std::string error;
    CgiResponseKind kind = CgiResponseKind::Document;
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string location;
    std::string local_path;
    std::string local_query;
    bool local_has_query = false;
    std::optional<std::uint64_t> content_length;
    bool forwards_body = false;
    std::string body;  // every byte after the head, across all chunks
    friend bool operator==(const Outcome&, const Outcome&) = default;
};

std::string describe(const Outcome& o) {
    std::string text = "state=" + std::to_string(static_cast<int>(o.state)) + " error=" + o.error +
                       " kind=" + std::to_string(static_cast<int>(o.kind)) +
                       " status=" + std::to_string(o.status) + " reason=" + o.reason;
    for (const auto& [name, value] : o.headers)
        text += " [" + name + ": " + value + "]";
    text += " location=" + o.location + " local=" + o.local_path + "?" + o.local_query;
    text += " length=" + (o.content_length ? std::to_string(*o.content_length) : "none");
    return text + " body=" + o.body;
}

Outcome parse_chunks(const std::vector<std::string_view>& chunks, const CgiSettings& settings) {
    CgiOutputParser parser(settings);
    Outcome outcome;
    for (auto chunk : chunks) {
        if (parser.feed(chunk) == CgiOutputState::HeadersDone) {
            outcome.body += std::string(chunk.substr(parser.body_offset()));
        }
    }
    outcome.state = parser.finish();
    outcome.error = parser.error();
    if (outcome.state == CgiOutputState::HeadersDone) {
        const auto& head = parser.head();
        outcome.kind = head.kind;
        outcome.status = head.status;
        outcome.reason = head.reason;
        for (const auto& field : head.headers)
            outcome.headers.emplace_back(field.name, field.value);
        outcome.location = head.location;
        outcome.local_path = head.local_path;
        outcome.local_query = head.local_query;
        outcome.local_has_query = head.local_has_query;
        outcome.content_length = head.content_length;
        outcome.forwards_body = head.forwards_body();
    }
    return outcome;
}

// Parses `output` whole, split in two at every offset, and byte by byte; all must agree.
Outcome parse(std::string_view output, const CgiSettings& settings = {}) {
    Outcome whole = parse_chunks({output}, settings);
    for (std::size_t split = 0; split <= output.size(); ++split) {
        Outcome halves = parse_chunks({output.substr(0, split), output.substr(split)}, settings);
        INFO("split at " << split);
        REQUIRE(describe(halves) == describe(whole));
        REQUIRE(halves == whole);
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < output.size(); ++i)
        bytes.push_back(output.substr(i, 1));
    Outcome single = parse_chunks(bytes, settings);
    REQUIRE(describe(single) == describe(whole));
    return whole;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

void check_invalid(std::string_view output, std::string_view error_part,
                   const CgiSettings& settings = {}) {
    INFO("output: " << output);
    Outcome outcome = parse(output, settings);
    CHECK(outcome.state == CgiOutputState::Invalid);
    CHECK(outcome.error.find(error_part) != std::string::npos);
    CHECK(outcome.body.empty());
}

}  // namespace

TEST_CASE("a document with LF line ends", "[cgi_output_parser]") {
    Outcome o = parse("Content-Type: text/plain\n\nhello\n");
    REQUIRE(o.state == CgiOutputState::HeadersDone);
    CHECK(o.error.empty());
    CHECK(o.kind == CgiResponseKind::Document);
    CHECK(o.status == 200);
    CHECK(o.reason.empty());
    CHECK(o.headers == Fields{{"Content-Type", "text/plain"}});
    CHECK(o.forwards_body);
    CHECK_FALSE(o.content_length);
    CHECK(o.body == "hello\n");
}

TEST_CASE("CRLF, mixed line ends and trimmed values", "[cgi_output_parser]") {
    Outcome crlf = parse("Content-Type: text/html\r\nX-A:   padded \t\r\n\r\n<p>");
    REQUIRE(crlf.state == CgiOutputState::HeadersDone);
    CHECK(crlf.headers == Fields{{"Content-Type", "text/html"}, {"X-A", "padded"}});
    CHECK(crlf.body == "<p>");

    Outcome mixed = parse("Content-Type:text/html\nX-Empty:\r\n\nbody");
    REQUIRE(mixed.state == CgiOutputState::HeadersDone);
    CHECK(mixed.headers == Fields{{"Content-Type", "text/html"}, {"X-Empty", ""}});
    CHECK(mixed.body == "body");
}

TEST_CASE("the body passes unchanged, whatever it contains", "[cgi_output_parser]") {
    std::string body("\r\n\r\nStatus: 500\n\n\0\xff binary", 24);
    Outcome o = parse("Content-Type: application/octet-stream\n\n" + body);
    REQUIRE(o.state == CgiOutputState::HeadersDone);
    CHECK(o.status == 200);
    CHECK(o.body == body);

    Outcome empty = parse("Content-Type: text/plain\n\n");
    REQUIRE(empty.state == CgiOutputState::HeadersDone);
    CHECK(empty.body.empty());
}

TEST_CASE("Status sets the status and is never forwarded", "[cgi_output_parser]") {
    Outcome full = parse("Status: 404 Not Found\nContent-Type: text/plain\n\nmissing");
    REQUIRE(full.state == CgiOutputState::HeadersDone);
    CHECK(full.status == 404);
    CHECK(full.reason == "Not Found");
    CHECK(full.headers == Fields{{"Content-Type", "text/plain"}});
    CHECK(full.body == "missing");

    Outcome bare = parse("status: 503\r\ncontent-type: text/plain\r\n\r\n");
    REQUIRE(bare.state == CgiOutputState::HeadersDone);
    CHECK(bare.status == 503);
    CHECK(bare.reason.empty());
    CHECK(bare.headers == Fields{{"content-type", "text/plain"}});

    Outcome custom = parse("Status: 299 Something   Odd  \nContent-Type: text/plain\n\n");
    CHECK(custom.status == 299);
    CHECK(custom.reason == "Something   Odd");
}

TEST_CASE("invalid Status values", "[cgi_output_parser]") {
    for (std::string_view status : {"20", "abc", "2000", "404x", "4O4", "", "-200", " 20 0"}) {
        check_invalid("Status: " + std::string(status) + "\nContent-Type: text/plain\n\n",
                      "Status");
    }
    // A 1xx final response would leave the client waiting for the real one.
    for (std::string_view status : {"099", "100", "101 Switching Protocols", "199", "600", "999"}) {
        check_invalid("Status: " + std::string(status) + "\nContent-Type: text/plain\n\n",
                      "Status outside");
    }
    check_invalid("Status: 200\nStatus: 404\nContent-Type: text/plain\n\n", "repeated Status");
}

TEST_CASE("an absolute Location without Status is a 302 with no body", "[cgi_output_parser]") {
    Outcome o = parse(
        "Location: https://example.com/next?x=1\nContent-Type: text/html\nContent-Length: 4\n"
        "Set-Cookie: a=1\n\nbody");
    REQUIRE(o.state == CgiOutputState::HeadersDone);
    CHECK(o.kind == CgiResponseKind::ClientRedirect);
    CHECK(o.status == 302);
    CHECK(o.location == "https://example.com/next?x=1");
    CHECK(o.headers == Fields{{"Location", "https://example.com/next?x=1"}, {"Set-Cookie", "a=1"}});
    CHECK_FALSE(o.forwards_body);
    CHECK_FALSE(o.content_length);
}

TEST_CASE("Location with Status and Content-Type keeps the document", "[cgi_output_parser]") {
    Outcome o = parse(
        "Status: 301 Moved Permanently\nLocation: http://example.com/\n"
        "Content-Type: text/html\nContent-Length: 5\n\nmoved");
    REQUIRE(o.state == CgiOutputState::HeadersDone);
    CHECK(o.kind == CgiResponseKind::ClientRedirectWithDocument);
    CHECK(o.status == 301);
    CHECK(o.reason == "Moved Permanently");
    CHECK(o.headers == Fields{{"Location", "http://example.com/"}, {"Content-Type", "text/html"}});
    CHECK(o.content_length == 5u);
    CHECK(o.forwards_body);
    CHECK(o.body == "moved");

    // 201 Created with a Location: a document too.
    Outcome created =
        parse("Status: 201\nLocation: /items/7\nContent-Type: application/json\n\n{}");
    REQUIRE(created.state == CgiOutputState::HeadersDone);
    CHECK(created.kind == CgiResponseKind::ClientRedirectWithDocument);
    CHECK(created.status == 201);
}

TEST_CASE("Location with Status but no Content-Type has no body", "[cgi_output_parser]") {
    Outcome o = parse("Status: 303 See Other\nLocation: http://example.com/\n\n");
    REQUIRE(o.state == CgiOutputState::HeadersDone);
    CHECK(o.kind == CgiResponseKind::ClientRedirect);
    CHECK(o.status == 303);
    CHECK(o.headers == Fields{{"Location", "http://example.com/"}});
    CHECK_FALSE(o.forwards_body);
}

TEST_CASE("a local path as the only field is an internal redirect", "[cgi_output_parser]") {
    Outcome o = parse("Location: /local/page?x=1&y=%20\n\nignored body");
    REQUIRE(o.state == CgiOutputState::HeadersDone);
    CHECK(o.kind == CgiResponseKind::LocalRedirect);
    CHECK(o.location == "/local/page?x=1&y=%20");
    CHECK(o.local_path == "/local/page");
    CHECK(o.local_has_query);
    CHECK(o.local_query == "x=1&y=%20");
    CHECK(o.headers.empty());
    CHECK_FALSE(o.forwards_body);

    Outcome no_query = parse("location: /a\r\n\r\n");
    REQUIRE(no_query.state == CgiOutputState::HeadersDone);
    CHECK(no_query.kind == CgiResponseKind::LocalRedirect);
    CHECK(no_query.local_path == "/a");
    CHECK_FALSE(no_query.local_has_query);

    Outcome empty_query = parse("Location: /a?\n\n");
    CHECK(empty_query.local_has_query);
    CHECK(empty_query.local_query.empty());
}

TEST_CASE("a local path next to other fields is a client redirect", "[cgi_output_parser]") {
    Outcome cookie = parse("Set-Cookie: session=1\nLocation: /home\n\n");
    REQUIRE(cookie.state == CgiOutputState::HeadersDone);
    CHECK(cookie.kind == CgiResponseKind::ClientRedirect);
    CHECK(cookie.status == 302);
    CHECK(cookie.headers == Fields{{"Set-Cookie", "session=1"}, {"Location", "/home"}});

    Outcome fragment = parse("Location: /page#section\n\n");
    REQUIRE(fragment.state == CgiOutputState::HeadersDone);
    CHECK(fragment.kind == CgiResponseKind::ClientRedirect);
    CHECK(fragment.location == "/page#section");
}

TEST_CASE("a Location that is neither absolute nor local is invalid", "[cgi_output_parser]") {
    for (std::string_view location :
         {"relative/path", "//evil.example/", "", "?x=1", "1http://x", ":nothing", "ht tp://x"}) {
        check_invalid("Location: " + std::string(location) + "\n\n", "Location");
    }
    check_invalid("Location: http://a b/\n\n", "whitespace in Location");
    check_invalid("Location: /a\nLocation: /b\n\n", "repeated Location");
}

TEST_CASE("a document with a body needs a Content-Type", "[cgi_output_parser]") {
    check_invalid("X-Only: 1\n\nbody", "Content-Type");
    check_invalid("Content-Type:\n\nbody", "Content-Type");
    check_invalid("\nbody", "Content-Type");
    check_invalid("Status: 404\n\n\n", "Content-Type");

    // RFC 3875 §6.3.1 asks for Content-Type only when there is a body: without one, the head
    // stands once the output ends (Apache and lighttpd answer these the same way).
    Outcome not_found = parse("Status: 404 Not Found\r\n\r\n");
    REQUIRE(not_found.state == CgiOutputState::HeadersDone);
    CHECK(not_found.kind == CgiResponseKind::Document);
    CHECK(not_found.status == 404);
    CHECK(not_found.headers.empty());
    CHECK(not_found.content_length == 0u);  // known now: the client gets Content-Length: 0
    CHECK(not_found.body.empty());

    Outcome fields_only = parse("Set-Cookie: a=1\nX-Only: 1\n\n");
    REQUIRE(fields_only.state == CgiOutputState::HeadersDone);
    CHECK(fields_only.status == 200);
    CHECK(fields_only.headers == Fields{{"Set-Cookie", "a=1"}, {"X-Only", "1"}});
    CHECK(fields_only.content_length == 0u);

    Outcome nothing = parse("\r\n");
    REQUIRE(nothing.state == CgiOutputState::HeadersDone);
    CHECK(nothing.status == 200);
    CHECK(nothing.content_length == 0u);

    // A declared Content-Length: 0 promises no body: no need to wait for the end.
    CgiOutputParser declared{CgiSettings{}};
    CHECK(declared.feed("Status: 404\nContent-Length: 0\n\n") == CgiOutputState::HeadersDone);
    CHECK(declared.head().content_length == 0u);

    // Until the output ends, such a head is not yet a response.
    CgiOutputParser parser{CgiSettings{}};
    CHECK(parser.feed("Status: 403\n\n") == CgiOutputState::NeedMore);
    CHECK(parser.feed("late body") == CgiOutputState::Invalid);
    CHECK(parser.error().find("Content-Type") != std::string::npos);
}

TEST_CASE("a Content-Type is not needed when the status forbids a body", "[cgi_output_parser]") {
    Outcome no_content = parse("Status: 204 No Content\nX-A: 1\n\n");
    REQUIRE(no_content.state == CgiOutputState::HeadersDone);
    CHECK(no_content.status == 204);
    CHECK_FALSE(no_content.forwards_body);

    Outcome not_modified = parse("Status: 304\nETag: \"x\"\nContent-Length: 10\n\n");
    REQUIRE(not_modified.state == CgiOutputState::HeadersDone);
    CHECK(not_modified.status == 304);
    CHECK_FALSE(not_modified.forwards_body);
    CHECK_FALSE(not_modified.content_length);
    CHECK(not_modified.headers == Fields{{"ETag", "\"x\""}});

    check_invalid("Content-Type: a\nContent-Type: b\n\n", "repeated Content-Type");
}

TEST_CASE("a 205 never carries content, and its length says so", "[cgi_output_parser]") {
    // RFC 9110 §15.3.6: no content in a 205, which must be framed as empty (Content-Length: 0),
    // unlike 204 and 304, which have no framing at all.
    Outcome typed = parse("Status: 205\nContent-Type: text/plain\nContent-Length: 5\n\nhello");
    REQUIRE(typed.state == CgiOutputState::HeadersDone);
    CHECK(typed.status == 205);
    CHECK_FALSE(typed.forwards_body);
    CHECK(typed.content_length == 0u);
    CHECK(typed.headers == Fields{{"Content-Type", "text/plain"}});

    Outcome untyped = parse("Status: 205 Reset Content\n\nignored");  // no body: no type needed
    REQUIRE(untyped.state == CgiOutputState::HeadersDone);
    CHECK_FALSE(untyped.forwards_body);
    CHECK(untyped.content_length == 0u);
}

TEST_CASE("Transfer-Encoding from a script is invalid", "[cgi_output_parser]") {
    check_invalid("Content-Type: text/plain\nTransfer-Encoding: chunked\n\n0\r\n\r\n",
                  "Transfer-Encoding");
    check_invalid("transfer-encoding: identity\nContent-Type: text/plain\n\n", "Transfer-Encoding");
}

TEST_CASE("Content-Length is validated and exposed, not forwarded", "[cgi_output_parser]") {
    Outcome o = parse("Content-Type: text/plain\nContent-Length: 5\n\nhello");
    REQUIRE(o.state == CgiOutputState::HeadersDone);
    CHECK(o.content_length == 5u);
    CHECK(o.headers == Fields{{"Content-Type", "text/plain"}});

    Outcome repeated = parse("Content-Length: 3\nContent-Type: text/plain\ncontent-length: 3\n\n");
    REQUIRE(repeated.state == CgiOutputState::HeadersDone);
    CHECK(repeated.content_length == 3u);

    Outcome big = parse("Content-Type: a/b\nContent-Length: 9999999999999999999\n\n");
    CHECK(big.content_length == 9999999999999999999u);

    for (std::string_view length :
         {"-1", "+5", "5, 5", "5 5", "0x10", "", "18446744073709551616", "99999999999999999999"}) {
        check_invalid("Content-Type: text/plain\nContent-Length: " + std::string(length) + "\n\n",
                      "Content-Length");
    }
    check_invalid("Content-Type: text/plain\nContent-Length: 5\nContent-Length: 6\n\n",
                  "conflicting Content-Length");
}

TEST_CASE("Set-Cookie repeats stay separate and in order", "[cgi_output_parser]") {
    Outcome o = parse(
        "Set-Cookie: a=1; Path=/\nContent-Type: text/plain\nSet-Cookie: b=2, c=3\n"
        "set-cookie: d=4\n\n");
    REQUIRE(o.state == CgiOutputState::HeadersDone);
    CHECK(o.headers == Fields{{"Set-Cookie", "a=1; Path=/"},
                              {"Content-Type", "text/plain"},
                              {"Set-Cookie", "b=2, c=3"},
                              {"set-cookie", "d=4"}});
}

TEST_CASE("hop-by-hop and server-owned fields are dropped", "[cgi_output_parser]") {
    Outcome o = parse(
        "Content-Type: text/plain\nConnection: close, X-Private\nKeep-Alive: timeout=5\n"
        "Proxy-Connection: keep-alive\nTE: trailers\nTrailer: X-Sum\nUpgrade: h2c\n"
        "X-Private: secret\nDate: Thu, 01 Jan 1970 00:00:00 GMT\nServer: evil/1.0\n"
        "Cache-Control: no-store\n\n");
    REQUIRE(o.state == CgiOutputState::HeadersDone);
    CHECK(o.headers == Fields{{"Content-Type", "text/plain"}, {"Cache-Control", "no-store"}});
}

TEST_CASE("malformed header lines are invalid", "[cgi_output_parser]") {
    check_invalid("Content-Type: text/plain\n folded\n\n", "obs-fold");
    check_invalid("Content-Type: text/plain\n\tfolded\n\n", "obs-fold");
    check_invalid(" Content-Type: text/plain\n\n", "obs-fold");
    check_invalid("Content-Type : text/plain\n\n", "not a token");
    check_invalid(": value\nContent-Type: text/plain\n\n", "not a token");
    check_invalid("Bad(Name): x\nContent-Type: text/plain\n\n", "not a token");
    check_invalid("Content-Type text/plain\n\n", "without a colon");
    check_invalid("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", "without a colon");
    check_invalid("Content-Type: text/plain\rX-A: 1\n\n", "CR not followed by LF");
    check_invalid("Content-Type: text/plain\r\r\n\n", "CR not followed by LF");
    check_invalid(std::string("Content-Type: text/\0plain\n\n", 27), "control byte");
    check_invalid("Content-Type: text/plain\x7f\n\n", "control byte");
    check_invalid("Content-Type: text/plain\nX-Esc: \x1b[31m\n\n", "control byte");
}

TEST_CASE("tabs and obs-text in values are allowed", "[cgi_output_parser]") {
    Outcome o = parse("Content-Type: text/plain\nX-Text: a\tb \xc3\xa9\n\n");
    REQUIRE(o.state == CgiOutputState::HeadersDone);
    CHECK(o.headers[1].second == "a\tb \xc3\xa9");
}

TEST_CASE("end of output before the blank line is invalid", "[cgi_output_parser]") {
    check_invalid("", "no output");
    check_invalid("Content-Type: text/plain", "end of output");
    check_invalid("Content-Type: text/plain\n", "end of output");
    check_invalid("Content-Type: text/plain\r\n\r", "end of output");
}

TEST_CASE("limits on lines, head size and field count", "[cgi_output_parser]") {
    CgiSettings settings;
    settings.max_header_line_bytes = 32;
    settings.max_header_bytes = 128;
    settings.max_header_fields = 4;

    // A line of exactly 32 bytes (without its line end) passes; 33 does not.
    std::string exact = "X-A: " + std::string(27, 'v');
    REQUIRE(exact.size() == 32);
    CHECK(parse("Content-Type: text/plain\n" + exact + "\r\n\r\n", settings).state ==
          CgiOutputState::HeadersDone);
    check_invalid("Content-Type: text/plain\n" + exact + "v\n\n", "header line longer", settings);
    // Even with no line end ever coming: memory stays bounded.
    check_invalid("Content-Type: text/plain\n" + std::string(100, 'x'), "header line longer",
                  settings);

    CHECK(parse("A: 1\nB: 2\nC: 3\nContent-Type: text/plain\n\n", settings).state ==
          CgiOutputState::HeadersDone);
    check_invalid("A: 1\nB: 2\nC: 3\nD: 4\nContent-Type: text/plain\n\n", "more than 4", settings);

    // Four 32-byte lines (LF included) fill the 128 bytes: the blank line is one too many.
    std::string line = std::string(26, 'h') + ": abc\n";
    REQUIRE(line.size() == 32);
    std::string head = "Content-Type: text/plain" + std::string(7, ' ') + "\n" + line + line + line;
    REQUIRE(head.size() == 128);
    check_invalid(head + "\n", "headers longer than 128", settings);
    std::string shorter =
        "Content-Type: text/plain" + std::string(6, ' ') + "\n" + line + line + line;
    CHECK(parse(shorter + "\n", settings).state == CgiOutputState::HeadersDone);
}

TEST_CASE("after the head, every further byte is body", "[cgi_output_parser]") {
    CgiOutputParser parser(CgiSettings{});
    REQUIRE(parser.feed("Content-Type: text/plain\n\nab") == CgiOutputState::HeadersDone);
    CHECK(parser.body_offset() == 26);
    CHECK(parser.feed("cd") == CgiOutputState::HeadersDone);
    CHECK(parser.body_offset() == 0);
    CHECK(parser.finish() == CgiOutputState::HeadersDone);
    auto head = parser.take_head();
    CHECK(head.headers.size() == 1);
}

TEST_CASE("once invalid, always invalid", "[cgi_output_parser]") {
    CgiOutputParser parser(CgiSettings{});
    REQUIRE(parser.feed("no colon here\n") == CgiOutputState::Invalid);
    std::string error = parser.error();
    CHECK(parser.feed("Content-Type: text/plain\n\n") == CgiOutputState::Invalid);
    CHECK(parser.finish() == CgiOutputState::Invalid);
    CHECK(parser.error() == error);
}
