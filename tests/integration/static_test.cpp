// Static files over real sockets: the cases of RFC 9110 a careful server must get right.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "raw_request.hpp"
#include "site.hpp"
#include "test_server.hpp"

using namespace cgikit::test;

namespace {

// Besides hello.txt and index.html: a directory with an index, one without, and names whose type
// or spelling the handler must get right.
const std::vector<SiteFile> kStaticFiles = {
    {"data.bin", std::string(100, 'x')},
    {"sub/index.html", "sub index\n"},
    {"noindex/file.css", "body{}\n"},
    {"style.CSS", "a{}\n"},
    {"app.js", "let a;\n"},
    {"a b.txt", "space\n"},
};

}  // namespace

TEST_CASE("GET serves a file with length, type, validators", "[static]") {
    Site site(kStaticFiles);
    TestServer server({.root = site.dir.path()});
    auto r = request(server.port(), get("/hello.txt"));
    CHECK(r.status == 200);
    CHECK(r.body == "hello world\n");
    CHECK(r.header("Content-Length") == "12");
    CHECK(r.header("Content-Type") == "text/plain; charset=utf-8");
    CHECK(r.header("ETag").has_value());
    CHECK(r.header("Last-Modified").has_value());
    CHECK(r.header("Accept-Ranges") == "bytes");
    CHECK(r.header("Date").has_value());
    CHECK(r.header("Server").value_or("").rfind("cgikit/", 0) == 0);
}

TEST_CASE("HEAD sends the same headers and no body", "[static]") {
    Site site(kStaticFiles);
    TestServer server({.root = site.dir.path()});
    RawClient client(server.port());
    client.send("HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n" + get("/data.bin"));
    auto head = client.read_response(true);
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->header("Content-Length") == "12");
    CHECK(head->body.empty());
    // The next response starts right where the HEAD response ended: no stray body bytes.
    auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->status == 200);
    CHECK(next->body == std::string(100, 'x'));
}

TEST_CASE("directories: index, redirect keeping the query, no listing", "[static]") {
    Site site(kStaticFiles);
    TestServer server({.root = site.dir.path()});
    CHECK(request(server.port(), get("/")).body == "<h1>home</h1>\n");
    CHECK(request(server.port(), get("/sub/")).body == "sub index\n");
    auto redirect = request(server.port(), get("/sub?x=1"));
    CHECK(redirect.status == 301);
    CHECK(redirect.header("Location") == "/sub/?x=1");
    CHECK(request(server.port(), get("/noindex/")).status == 403);
}

TEST_CASE("a file with a trailing slash or extra segments is 404", "[static]") {
    Site site(kStaticFiles);
    TestServer server({.root = site.dir.path()});
    CHECK(request(server.port(), get("/hello.txt/")).status == 404);
    CHECK(request(server.port(), get("/hello.txt/more")).status == 404);
    CHECK(request(server.port(), get("/missing")).status == 404);
}

TEST_CASE("traversal never leaves the document root", "[static][security]") {
    TempDir outer;
    outer.write("secret.txt", "SECRET\n");
    outer.write("root/index.html", "in root\n");
    ::symlink((outer.path() + "/secret.txt").c_str(), (outer.path() + "/root/link-out").c_str());
    ::symlink("index.html", (outer.path() + "/root/link-in").c_str());
    TestServer server({.root = outer.path() + "/root"});
    for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "/a/../../secret.txt",
                               "/%2E%2E/%2E%2E/secret.txt", "/..%2fsecret.txt", "/link-out"}) {
        INFO(target);
        auto r = request(server.port(), get(target));
        CHECK((r.status == 400 || r.status == 404));
        CHECK(r.body.find("SECRET") == std::string::npos);
    }
    CHECK(request(server.port(), get("/link-in")).body == "in root\n");
    CHECK(request(server.port(), get("/index.html%2f")).status == 404);
    CHECK(request(server.port(), get("/index.html%00")).status == 400);
    CHECK(request(server.port(), get("/./index.html")).status == 200);
    CHECK(request(server.port(), get("//index.html")).status == 200);
}

TEST_CASE("percent-encoded names and absolute-form targets", "[static]") {
    Site site(kStaticFiles);
    TestServer server({.root = site.dir.path()});
    CHECK(request(server.port(), get("/a%20b.txt")).body == "space\n");
    auto r =
        request(server.port(), "GET http://example.com/hello.txt HTTP/1.1\r\nHost: other\r\n\r\n");
    CHECK(r.status == 200);
    CHECK(r.body == "hello world\n");
}

TEST_CASE("MIME types by extension, case-insensitive", "[static]") {
    Site site(kStaticFiles);
    TestServer server({.root = site.dir.path()});
    CHECK(request(server.port(), get("/style.CSS")).header("Content-Type") ==
          "text/css; charset=utf-8");
    auto js = request(server.port(), get("/app.js")).header("Content-Type").value_or("");
    CHECK(js.find("javascript") != std::string::npos);
    CHECK(request(server.port(), get("/data.bin")).header("Content-Type") ==
          "application/octet-stream");
}

TEST_CASE("an HLS site: MPEG-TS segments as video, over the system's mime.types", "[static]") {
    // Debian's /etc/mime.types (the default mime.types_file) maps .ts to Qt Linguist files.
    Site site({{"live/index.m3u8", "#EXTM3U\n#EXTINF:4.0,\nseg0.ts\n"},
               {"live/seg0.ts", std::string("\x47\x40\x00\x10", 4)}});
    TestServer server({.root = site.dir.path()});
    auto segment = request(server.port(), get("/live/seg0.ts"));
    CHECK(segment.status == 200);
    CHECK(segment.header("Content-Type") == "video/mp2t");
    CHECK(request(server.port(), get("/live/index.m3u8")).header("Content-Type") ==
          "application/vnd.apple.mpegurl");
}

TEST_CASE("mime.charset: the charset of text types, or none; our error pages stay UTF-8",
          "[static]") {
    Site site(
        std::vector<SiteFile>{{"latin1.html", "<meta charset=\"iso-8859-1\"><p>caf\xe9</p>\n"}});
    struct Case {
        std::optional<std::string> config_json;
        std::string html_type;
    };
    for (const auto& c : std::vector<Case>{
             {std::nullopt, "text/html; charset=utf-8"},
             {R"({"mime": {"charset": "utf-8"}})", "text/html; charset=utf-8"},
             {R"({"mime": {"charset": "iso-8859-1"}})", "text/html; charset=iso-8859-1"},
             // Off: the page's own <meta charset> decides, as under Apache and nginx's defaults.
             {R"({"mime": {"charset": "off"}})", "text/html"},
         }) {
        INFO(c.config_json.value_or("(default)"));
        TestServer server({.root = site.dir.path(), .config_json = c.config_json});
        auto page = request(server.port(), get("/latin1.html"));
        CHECK(page.status == 200);
        CHECK(page.header("Content-Type") == c.html_type);
        CHECK(request(server.port(), get("/missing.html")).header("Content-Type") ==
              "text/html; charset=utf-8");
    }
}

TEST_CASE("conditional requests: 304 and 412", "[static]") {
    Site site(kStaticFiles);
    TestServer server({.root = site.dir.path()});
    auto first = request(server.port(), get("/hello.txt"));
    std::string etag = *first.header("ETag");
    std::string modified = *first.header("Last-Modified");

    auto inm = request(server.port(), get("/hello.txt", "If-None-Match: " + etag + "\r\n"));
    CHECK(inm.status == 304);
    CHECK(inm.body.empty());
    CHECK(inm.header("ETag") == etag);
    CHECK(request(server.port(), get("/hello.txt", "If-None-Match: \"other\"\r\n")).status == 200);
    CHECK(request(server.port(), get("/hello.txt", "If-Modified-Since: " + modified + "\r\n"))
              .status == 304);
    CHECK(request(server.port(), get("/hello.txt", "If-Match: \"other\"\r\n")).status == 412);
    CHECK(request(server.port(), get("/hello.txt", "If-Match: " + etag + "\r\n")).status == 200);
    CHECK(request(server.port(),
                  get("/hello.txt", "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n"))
              .status == 412);
}

TEST_CASE("byte ranges: 206, suffix, open-ended, 416, If-Range", "[static]") {
    Site site(kStaticFiles);
    TestServer server({.root = site.dir.path()});
    auto r = request(server.port(), get("/hello.txt", "Range: bytes=0-3\r\n"));
    CHECK(r.status == 206);
    CHECK(r.body == "hell");
    CHECK(r.header("Content-Range") == "bytes 0-3/12");
    CHECK(request(server.port(), get("/hello.txt", "Range: bytes=-3\r\n")).body == "ld\n");
    CHECK(request(server.port(), get("/hello.txt", "Range: bytes=6-\r\n")).body == "world\n");
    auto bad = request(server.port(), get("/hello.txt", "Range: bytes=50-60\r\n"));
    CHECK(bad.status == 416);
    CHECK(bad.header("Content-Range") == "bytes */12");
    CHECK(request(server.port(), get("/hello.txt", "Range: bytes=x-y\r\n")).status == 416);

    std::string etag = *r.header("ETag");
    CHECK(
        request(server.port(), get("/hello.txt", "Range: bytes=0-3\r\nIf-Range: " + etag + "\r\n"))
            .status == 206);
    auto stale =
        request(server.port(), get("/hello.txt", "Range: bytes=0-3\r\nIf-Range: \"old\"\r\n"));
    CHECK(stale.status == 200);
    CHECK(stale.body == "hello world\n");
}

TEST_CASE("methods: 405 with Allow, 501 for unknown, OPTIONS", "[static]") {
    Site site(kStaticFiles);
    TestServer server({.root = site.dir.path()});
    auto del = request(server.port(), "DELETE /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(del.status == 405);
    CHECK(del.header("Allow") == "GET, HEAD, OPTIONS");
    auto post = request(server.port(),
                        "POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
    CHECK(post.status == 405);
    CHECK(request(server.port(), "BREW /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").status == 501);
    auto star = request(server.port(), "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(star.status == 200);
    CHECK(star.header("Allow").has_value());
    CHECK(star.header("Content-Length") == "0");
}

// RFC 9110 §14.1.2 / §14.2: no 206 can carry zero bytes, so a range of an empty file gets the
// whole (empty) file, as nginx, Apache and lighttpd answer; a 416 would fail the media players and
// download managers that open every file with "bytes=0-".
TEST_CASE("a range of an empty file is answered 200 with no content", "[static]") {
    Site site(std::vector<SiteFile>{{"empty.txt", ""}});
    TestServer server({.root = site.dir.path()});
    for (const char* range : {"bytes=0-", "bytes=-5", "bytes=0-0"}) {
        INFO("Range: " << range);
        auto r = request(server.port(), get("/empty.txt", std::string("Range: ") + range + "\r\n"));
        CHECK(r.status == 200);
        CHECK(r.header("Content-Length") == "0");
        CHECK_FALSE(r.header("Content-Range").has_value());
        CHECK(r.body.empty());
    }
    CHECK(request(server.port(), get("/empty.txt", "Range: bytes=5-2\r\n")).status == 416);
}
