#include "http/uri_path.hpp"

#include <catch2/catch.hpp>
#include <string>

using cgikit::http::decode_and_normalize_path;
using cgikit::http::percent_encode_path;

namespace {

std::string normalized(std::string_view raw) {
    auto result = decode_and_normalize_path(raw);
    REQUIRE(result.ok());
    return result.path;
}

int status_of(std::string_view raw) {
    auto result = decode_and_normalize_path(raw);
    CHECK(result.path.empty());
    return result.status;
}

}  // namespace

TEST_CASE("plain paths pass through unchanged", "[uri_path]") {
    CHECK(normalized("/") == "/");
    CHECK(normalized("/index.html") == "/index.html");
    CHECK(normalized("/a/b/c.txt") == "/a/b/c.txt");
    CHECK(normalized("/a/") == "/a/");
    CHECK(normalized("/a/b/") == "/a/b/");
    CHECK(normalized("/...") == "/...");
    CHECK(normalized("/.hidden") == "/.hidden");
    CHECK(normalized("/a..b/..c/d..") == "/a..b/..c/d..");
    CHECK(normalized("/a\\..\\b") == "/a\\..\\b");  // backslash is an ordinary byte
    CHECK(normalized("/..\\") == "/..\\");
    CHECK(normalized("/a?b#c") == "/a?b#c");  // the caller has already split off the query
}

TEST_CASE("percent-decoding happens once", "[uri_path]") {
    CHECK(normalized("/a%20b") == "/a b");
    CHECK(normalized("/%41%42%43") == "/ABC");
    CHECK(normalized("/%7e%7E") == "/~~");
    CHECK(normalized("/caf%C3%A9") == "/caf\xC3\xA9");
    CHECK(normalized("/%FF%80") == "/\xFF\x80");  // bytes, not necessarily UTF-8
    CHECK(normalized("/%25") == "/%");
    CHECK(normalized("/%252e") == "/%2e");
    CHECK(normalized("/%252e%252e/x") == "/%2e%2e/x");
    CHECK(normalized("/%252F") == "/%2F");
    CHECK(normalized("/%5c") == "/\\");
    CHECK(normalized("/%3F%23") == "/?#");
}

TEST_CASE("dot segments are removed (RFC 3986 section 5.2.4)", "[uri_path]") {
    CHECK(normalized("/.") == "/");
    CHECK(normalized("/./") == "/");
    CHECK(normalized("/a/.") == "/a/");
    CHECK(normalized("/a/./b") == "/a/b");
    CHECK(normalized("/./a/./b/.") == "/a/b/");
    CHECK(normalized("/a/..") == "/");
    CHECK(normalized("/a/../") == "/");
    CHECK(normalized("/a/b/..") == "/a/");
    CHECK(normalized("/a/b/../") == "/a/");
    CHECK(normalized("/a/b/../c") == "/a/c");
    CHECK(normalized("/a/b/c/../../d") == "/a/d");
    CHECK(normalized("/a/b/../../c/") == "/c/");
    CHECK(normalized("/a/./../b") == "/b");
}

TEST_CASE("encoded dots are dot segments", "[uri_path]") {
    CHECK(normalized("/a/%2e") == "/a/");
    CHECK(normalized("/a/%2E/b") == "/a/b");
    CHECK(normalized("/a/b/%2e%2e") == "/a/");
    CHECK(normalized("/a/b/%2E%2E/c") == "/a/c");
    CHECK(normalized("/a/b/.%2e/c") == "/a/c");
    CHECK(normalized("/a/b/%2e./c") == "/a/c");
    CHECK(normalized("/a/%2e%2e%2e") == "/a/...");
}

TEST_CASE("empty segments collapse", "[uri_path]") {
    CHECK(normalized("//") == "/");
    CHECK(normalized("///") == "/");
    CHECK(normalized("//a") == "/a");
    CHECK(normalized("/a//b") == "/a/b");
    CHECK(normalized("/a///b//") == "/a/b/");
    CHECK(normalized("/a//") == "/a/");
    CHECK(normalized("/a//..") == "/");  // empty segments go first, as a file system sees them
    CHECK(normalized("/a/b//../c") == "/a/c");
    CHECK(normalized("//./a/.//b") == "/a/b");
}

TEST_CASE("climbing above the root is a 400", "[uri_path]") {
    CHECK(status_of("/..") == 400);
    CHECK(status_of("/../") == 400);
    CHECK(status_of("/../etc/passwd") == 400);
    CHECK(status_of("/a/../..") == 400);
    CHECK(status_of("/a/../../b") == 400);
    CHECK(status_of("/a/b/../../../etc/passwd") == 400);
    CHECK(status_of("/./..") == 400);
    CHECK(status_of("//..") == 400);
    CHECK(status_of("/%2e%2e") == 400);
    CHECK(status_of("/%2e%2e/") == 400);
    CHECK(status_of("/%2E%2E/etc/passwd") == 400);
    CHECK(status_of("/.%2e/x") == 400);
    CHECK(status_of("/%2e./x") == 400);
    CHECK(status_of("/a/%2e%2e/%2e%2e/x") == 400);
}

TEST_CASE("NUL, malformed escapes and relative paths are a 400", "[uri_path]") {
    CHECK(status_of("/a%00b") == 400);
    CHECK(status_of("/%00") == 400);
    CHECK(status_of(std::string_view("/a\0b", 4)) == 400);
    CHECK(status_of("/%") == 400);
    CHECK(status_of("/%4") == 400);
    CHECK(status_of("/a%4/b") == 400);
    CHECK(status_of("/%zz") == 400);
    CHECK(status_of("/%g0") == 400);
    CHECK(status_of("/%0g") == 400);
    CHECK(status_of("/% 1") == 400);
    CHECK(status_of("/%%41") == 400);
    CHECK(status_of("/%-1") == 400);
    CHECK(status_of("") == 400);
    CHECK(status_of("*") == 400);
    CHECK(status_of("a/b") == 400);
    CHECK(status_of("../x") == 400);
    CHECK(status_of("%2F") == 400);
    CHECK(status_of("http://example.com/") == 400);
}

TEST_CASE("an encoded slash is a 404", "[uri_path]") {
    CHECK(status_of("/%2F") == 404);
    CHECK(status_of("/%2f") == 404);
    CHECK(status_of("/a%2Fb") == 404);
    CHECK(status_of("/a%2fb/c") == 404);
    CHECK(status_of("/..%2F..%2Fetc%2Fpasswd") == 404);
    CHECK(status_of("/%2e%2e%2f") == 404);
    CHECK(status_of("/a/%2F/../b") == 404);  // removed by "..", still refused
}

TEST_CASE("malformed input and traversal win over an encoded slash", "[uri_path]") {
    CHECK(status_of("/%2F%zz") == 400);
    CHECK(status_of("/%2F%00") == 400);
    CHECK(status_of("/%2F/../..") == 400);
    CHECK(status_of("/../%2F") == 400);
    CHECK(status_of("/%2e%2e/%2F") == 400);
}

TEST_CASE("long paths and many segments", "[uri_path]") {
    std::string deep;
    for (int i = 0; i < 1000; ++i)
        deep += "/d";
    CHECK(normalized(deep) == deep);
    std::string up = deep;
    for (int i = 0; i < 1000; ++i)
        up += "/..";
    CHECK(normalized(up) == "/");
    CHECK(status_of(up + "/..") == 400);
}

TEST_CASE("percent_encode_path keeps path characters and escapes the rest", "[uri_path]") {
    CHECK(percent_encode_path("/") == "/");
    CHECK(percent_encode_path("/a/b.html") == "/a/b.html");
    CHECK(percent_encode_path("/AZaz09-._~!$&'()*+,;=:@/") == "/AZaz09-._~!$&'()*+,;=:@/");
    CHECK(percent_encode_path("/a b") == "/a%20b");
    CHECK(percent_encode_path("/100%") == "/100%25");
    CHECK(percent_encode_path("/a?b#c") == "/a%3Fb%23c");
    CHECK(percent_encode_path("/\"<>\\^`{|}") == "/%22%3C%3E%5C%5E%60%7B%7C%7D");
    CHECK(percent_encode_path("/caf\xC3\xA9") == "/caf%C3%A9");
    CHECK(percent_encode_path(std::string_view("/\0\x7F\xFF", 4)) == "/%00%7F%FF");
    CHECK(percent_encode_path("/\r\n") == "/%0D%0A");  // no header injection through Location
}

TEST_CASE("percent_encode_path round-trips through decode for every byte", "[uri_path]") {
    for (int byte = 1; byte < 256; ++byte) {
        if (byte == '/' || byte == '.') continue;
        std::string path = "/x";
        path += static_cast<char>(byte);
        auto decoded = decode_and_normalize_path(percent_encode_path(path));
        INFO("byte " << byte);
        REQUIRE(decoded.ok());
        CHECK(decoded.path == path);
    }
}
