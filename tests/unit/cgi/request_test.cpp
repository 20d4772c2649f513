// Request built from explicit variables and bodies (no server, no process).
#include "cgikit/request.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "cgi_process.hpp"
#include "cgikit/sha256.hpp"

using cgikit::Environment;
using cgikit::Request;
using cgikit::RequestOptions;

namespace {

constexpr std::string_view kBoundary = "XyZzy42";

std::string part(std::string_view name, std::string_view content,
                 std::string_view extra_disposition = "", std::string_view headers = "") {
    std::string out = "--";
    out += kBoundary;
    out += "\r\nContent-Disposition: form-data; name=\"";
    out += name;
    out += "\"";
    out += extra_disposition;
    out += "\r\n";
    out += headers;
    out += "\r\n";
    out += content;
    out += "\r\n";
    return out;
}

std::string close_delimiter() {
    return "--" + std::string(kBoundary) + "--\r\n";
}

Environment post(std::string_view content_type, std::size_t length) {
    return {{"REQUEST_METHOD", "POST"},
            {"CONTENT_TYPE", std::string(content_type)},
            {"CONTENT_LENGTH", std::to_string(length)}};
}

Request post_multipart(const std::string& body, const RequestOptions& options = {}) {
    return Request::from(
        post("multipart/form-data; boundary=" + std::string(kBoundary), body.size()), body,
        options);
}

std::string pattern(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        out[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
    return out;
}

}  // namespace

TEST_CASE("request: meta-variables and their typed forms", "[request]") {
    const Request request = Request::from({{"REQUEST_METHOD", "GET"},
                                           {"GATEWAY_INTERFACE", "CGI/1.1"},
                                           {"PATH_INFO", "/extra/path"},
                                           {"PATH_TRANSLATED", "/srv/www/extra/path"},
                                           {"SCRIPT_NAME", "/cgi-bin/app"},
                                           {"QUERY_STRING", "x=1"},
                                           {"REMOTE_ADDR", "192.0.2.7"},
                                           {"REMOTE_HOST", "client.example"},
                                           {"REMOTE_USER", "alice"},
                                           {"AUTH_TYPE", "Basic"},
                                           {"SERVER_NAME", "example.org"},
                                           {"SERVER_PORT", "8443"},
                                           {"SERVER_PROTOCOL", "HTTP/1.1"},
                                           {"SERVER_SOFTWARE", "cgikitd/0.1"},
                                           {"REQUEST_URI", "/cgi-bin/app/extra/path?x=1"},
                                           {"HTTPS", "on"}});
    REQUIRE(request.ok());
    CHECK(request.method() == "GET");
    CHECK(request.gateway_interface() == "CGI/1.1");
    CHECK(request.path_info() == "/extra/path");
    CHECK(request.path_translated() == "/srv/www/extra/path");
    CHECK(request.script_name() == "/cgi-bin/app");
    CHECK(request.query_string() == "x=1");
    CHECK(request.remote_addr() == "192.0.2.7");
    CHECK(request.remote_host() == "client.example");
    CHECK(request.remote_user() == "alice");
    CHECK(request.auth_type() == "Basic");
    CHECK(request.server_name() == "example.org");
    CHECK(request.server_port() == 8443);
    CHECK(request.server_protocol() == "HTTP/1.1");
    CHECK(request.server_software() == "cgikitd/0.1");
    CHECK(request.request_uri() == "/cgi-bin/app/extra/path?x=1");
    CHECK(request.is_https());
    CHECK(request.env("SERVER_NAME") == "example.org");
    CHECK_FALSE(request.env("REMOTE_IDENT"));
    CHECK(request.remote_ident() == "");
    CHECK_FALSE(request.content_length());
}

TEST_CASE("request: https detection and bad ports", "[request]") {
    CHECK_FALSE(Request::from({{"HTTPS", "off"}}).is_https());
    CHECK(Request::from({{"REQUEST_SCHEME", "https"}}).is_https());
    CHECK(Request::from({{"HTTPS", "1"}}).is_https());
    CHECK_FALSE(Request::from({}).is_https());
    CHECK_FALSE(Request::from({{"SERVER_PORT", "99999"}}).server_port());
    CHECK_FALSE(Request::from({{"SERVER_PORT", "80x"}}).server_port());
}

TEST_CASE("request: headers from HTTP_* and CONTENT_*", "[request]") {
    const Request request = Request::from({{"HTTP_USER_AGENT", "test/1.0"},
                                           {"HTTP_ACCEPT_LANGUAGE", "en, fr;q=0.5"},
                                           {"HTTP_X_FORWARDED_FOR", "198.51.100.1"},
                                           {"CONTENT_TYPE", "text/plain"},
                                           {"PATH", "/usr/bin"}});
    CHECK(request.header("User-Agent") == "test/1.0");
    CHECK(request.header("user-agent") == "test/1.0");
    CHECK(request.header("ACCEPT-LANGUAGE") == "en, fr;q=0.5");
    CHECK(request.header("Content-Type") == "text/plain");
    CHECK_FALSE(request.header("Cookie"));
    CHECK_FALSE(request.header("Path"));
    const auto headers = request.headers();
    using Header = std::pair<std::string, std::string>;
    CHECK(headers == std::vector<Header>{{"Content-Type", "text/plain"},
                                         {"Accept-Language", "en, fr;q=0.5"},
                                         {"User-Agent", "test/1.0"},
                                         {"X-Forwarded-For", "198.51.100.1"}});
}

TEST_CASE("request: query string, urlencoded WHATWG rules", "[request]") {
    const Request request =
        Request::from({{"REQUEST_METHOD", "GET"}, {"QUERY_STRING", "a=1&b&&c=%zz&a=2&d=x+y%20z"}});
    REQUIRE(request.ok());
    using Fields = cgikit::Fields;
    CHECK(request.query().entries() ==
          Fields{{"a", "1"}, {"b", ""}, {"c", "%zz"}, {"a", "2"}, {"d", "x y z"}});
    CHECK(request.get<int>("a") == 1);
    CHECK(request.form().empty());
}

TEST_CASE("request: urlencoded form body; form wins over query in get()", "[request]") {
    const std::string body = "name=J%C3%B6rg&age=41&n=form";
    Environment env = post("application/x-www-form-urlencoded; charset=UTF-8", body.size());
    env["QUERY_STRING"] = "n=query&q=only";
    const Request request = Request::from(env, body);
    REQUIRE(request.ok());
    CHECK(request.form().get("name") == "J\xc3\xb6rg");
    CHECK(request.get<int>("age", 0, 150) == 41);
    CHECK_FALSE(request.get<int>("age", 0, 40));
    CHECK(request.get("n") == "form");
    CHECK(request.get("q") == "only");
    CHECK(request.get_text("name") == "J\xc3\xb6rg");
    CHECK(request.body() == body);
    CHECK(request.media_type() == "application/x-www-form-urlencoded");
    CHECK(request.content_length() == body.size());
}

TEST_CASE("request: cookies", "[request]") {
    const Request request = Request::from({{"HTTP_COOKIE", "a=1; e; c=\"3\"; a=dup"}});
    using Fields = cgikit::Fields;
    CHECK(request.cookies().entries() == Fields{{"a", "1"}, {"c", "3"}, {"a", "dup"}});
    CHECK(request.cookie("c") == "3");
    CHECK_FALSE(request.cookie("e"));
}

TEST_CASE("request: never reads past CONTENT_LENGTH", "[request]") {
    std::istringstream stream("a=1&b=2");
    const Request request = Request::from(post("application/x-www-form-urlencoded", 3), stream);
    REQUIRE(request.ok());
    CHECK(request.form().entries() == cgikit::Fields{{"a", "1"}});
    CHECK(stream.tellg() == 3);
}

TEST_CASE("request: no CONTENT_LENGTH means no body", "[request]") {
    std::istringstream stream("a=1");
    const Request request = Request::from(
        {{"REQUEST_METHOD", "POST"}, {"CONTENT_TYPE", "application/x-www-form-urlencoded"}},
        stream);
    REQUIRE(request.ok());
    CHECK(request.form().empty());
    CHECK(stream.tellg() == 0);
}

TEST_CASE("request: invalid CONTENT_LENGTH is a 400", "[request]") {
    for (const char* length : {"-1", "1x", " 5", "+5", "0x10", "99999999999999999999999"}) {
        INFO(length);
        const Request request = Request::from({{"CONTENT_LENGTH", length}}, "abcde");
        CHECK(request.error().http_status() == 400);
    }
}

TEST_CASE("request: a body over max_body_bytes is refused before reading", "[request]") {
    RequestOptions options;
    options.limits.max_body_bytes = 10;
    std::istringstream stream(std::string(11, 'x'));
    const Request request = Request::from(post("text/plain", 11), stream, options);
    CHECK(request.error().http_status() == 413);
    CHECK(stream.tellg() == 0);
    // A huge claim costs nothing either.
    const Request huge = Request::from(post("text/plain", std::size_t{1} << 60), "", options);
    CHECK(huge.error().http_status() == 413);
}

TEST_CASE("request: a truncated body is a 400", "[request]") {
    const Request request = Request::from(post("text/plain", 10), "short");
    CHECK(request.error().http_status() == 400);
    CHECK(request.error().message.find("truncated") != std::string::npos);
}

TEST_CASE("request: other media types stay raw", "[request]") {
    const std::string body("\x00\x01binary", 8);
    const Request request = Request::from(post("application/octet-stream", body.size()), body);
    REQUIRE(request.ok());
    CHECK(request.body() == body);
    CHECK(request.form().empty());
    CHECK_FALSE(request.has_json());
}

TEST_CASE("request: JSON bodies", "[request]") {
    const std::string body = R"({"a": [1, 2, {"b": null}], "s": "caf\u00e9"})";
    const Request request = Request::from(post("application/json", body.size()), body);
    REQUIRE(request.ok());
    REQUIRE(request.has_json());
    CHECK(request.json()["a"][1] == 2);
    CHECK(request.json()["s"] == "caf\xc3\xa9");

    const std::string vendor = "[true]";
    CHECK(Request::from(post("application/vnd.api+json; charset=utf-8", vendor.size()), vendor)
              .json()[0] == true);

    const Request empty = Request::from(post("application/json", 0), "");
    REQUIRE(empty.ok());
    CHECK_FALSE(empty.has_json());
    CHECK(empty.json().is_null());
}

TEST_CASE("request: malformed or too deep JSON is a 400, never an exception", "[request]") {
    for (const std::string body : {"{\"a\":", "nul", "{\"a\":1}x", "\"\xff\""}) {
        INFO(body);
        const Request request = Request::from(post("application/json", body.size()), body);
        CHECK(request.error().http_status() == 400);
        CHECK(request.json().is_null());
    }
    RequestOptions options;
    options.max_json_depth = 10;
    const std::string deep = std::string(11, '[') + std::string(11, ']');
    CHECK(
        Request::from(post("application/json", deep.size()), deep, options).error().http_status() ==
        400);
    const std::string ok = std::string(10, '[') + std::string(10, ']');
    CHECK(Request::from(post("application/json", ok.size()), ok, options).ok());
    // Brackets inside strings do not count.
    const std::string in_string = R"(["[[[[[[[[[[[[[[\"[[[["])";
    CHECK(Request::from(post("application/json", in_string.size()), in_string, options).ok());
}

TEST_CASE("request: json nesting scan", "[request]") {
    CHECK_FALSE(cgikit::json_nesting_exceeds("[[]]", 2));
    CHECK(cgikit::json_nesting_exceeds("[[[]]]", 2));
    CHECK(cgikit::json_nesting_exceeds("{\"a\":{\"b\":[1]}}", 2));
    CHECK_FALSE(cgikit::json_nesting_exceeds(R"(["\"[[[[[["])", 1));
}

TEST_CASE("request: body handling raw and leave_unread", "[request]") {
    const std::string body = "a=1";
    RequestOptions raw;
    raw.body = cgikit::BodyHandling::raw;
    const Request r = Request::from(post("application/x-www-form-urlencoded", 3), body, raw);
    CHECK(r.body() == "a=1");
    CHECK(r.form().empty());

    RequestOptions unread;
    unread.body = cgikit::BodyHandling::leave_unread;
    std::istringstream stream(body);
    const Request u = Request::from(post("application/x-www-form-urlencoded", 3), stream, unread);
    CHECK(u.ok());
    CHECK(u.body().empty());
    CHECK(stream.tellg() == 0);
}

TEST_CASE("request: multipart fields and small files in request order", "[request]") {
    const std::string body =
        "preamble\r\n" + part("title", "Hello") +
        part("doc", "file content", "; filename=\"a.txt\"", "Content-Type: text/markdown\r\n") +
        part("title", "Again") + part("empty", "", "; filename=\"\"") + close_delimiter() +
        "epilogue";
    const Request request = post_multipart(body);
    REQUIRE(request.ok());
    CHECK(request.form().entries() == cgikit::Fields{{"title", "Hello"}, {"title", "Again"}});
    REQUIRE(request.files().size() == 2);
    const cgikit::Upload& doc = request.files()[0];
    CHECK(doc.field_name() == "doc");
    CHECK(doc.filename() == "a.txt");
    CHECK(doc.content_type() == "text/markdown");
    CHECK(doc.size() == 12);
    CHECK(doc.storage() == cgikit::Upload::Storage::memory);
    CHECK(doc.memory_data() == "file content");
    const cgikit::Upload& empty = request.files()[1];
    CHECK(empty.filename() == "");
    CHECK(empty.size() == 0);
    CHECK(empty.content_type() == "text/plain");
    CHECK(request.file("doc") == &doc);
    CHECK(request.file("nope") == nullptr);
    CHECK(request.body().empty());  // multipart is streamed, not kept
}

TEST_CASE("request: a large upload streams to a temp file in the chosen directory", "[request]") {
    cgikit::test::TempDir temp;
    RequestOptions options;
    options.temp_directory = temp.path();
    options.limits.memory_threshold_bytes = 1000;
    const std::string content = pattern(300000);  // spans several 64 KiB reads
    const std::string body = part("file", content, "; filename=\"big.bin\"",
                                  "Content-Type: application/octet-stream\r\n") +
                             close_delimiter();
    const Request request = post_multipart(body, options);
    REQUIRE(request.ok());
    REQUIRE(request.files().size() == 1);
    const cgikit::Upload& upload = request.files()[0];
    CHECK(upload.storage() == cgikit::Upload::Storage::file);
    CHECK(upload.size() == content.size());
    std::string read_back;
    REQUIRE_FALSE(upload.read_all(read_back, content.size()));
    CHECK(read_back == content);
    CHECK(temp.entries().empty());  // anonymous: nothing to clean up, ever
}

TEST_CASE("request: multipart errors", "[request]") {
    SECTION("no boundary parameter") {
        const Request request = Request::from(post("multipart/form-data", 4), "abcd");
        CHECK(request.error().http_status() == 400);
    }
    SECTION("no close delimiter") {
        const Request request = post_multipart(part("a", "1"));
        CHECK(request.error().http_status() == 400);
    }
    SECTION("garbage") {
        const Request request =
            post_multipart("--" + std::string(kBoundary) + "\r\nno colon\r\n\r\n");
        CHECK(request.error().http_status() == 400);
    }
    SECTION("too many parts") {
        RequestOptions options;
        options.limits.max_fields = 2;
        const Request request = post_multipart(
            part("a", "1") + part("b", "2") + part("c", "3") + close_delimiter(), options);
        CHECK(request.error().http_status() == 413);
    }
    SECTION("a file over max_file_bytes; its temp file is gone at once") {
        cgikit::test::TempDir temp;
        RequestOptions options;
        options.temp_directory = temp.path();
        options.limits.memory_threshold_bytes = 10;
        options.limits.max_file_bytes = 1000;
        const Request request = post_multipart(
            part("f", pattern(5000), "; filename=\"x\"") + close_delimiter(), options);
        CHECK(request.error().http_status() == 413);
        CHECK(request.files().empty());
        CHECK(temp.entries().empty());
    }
    SECTION("a field over max_field_bytes") {
        RequestOptions options;
        options.limits.max_field_bytes = 100;
        const Request request =
            post_multipart(part("f", pattern(101)) + close_delimiter(), options);
        CHECK(request.error().http_status() == 413);
    }
}

TEST_CASE("request: upload sinks take the content, in order", "[request]") {
    struct Recorder final : cgikit::UploadSink {
        std::string* log;
        explicit Recorder(std::string* l) : log(l) {}
        cgikit::Error write(std::string_view chunk) override {
            log->append(chunk);
            return {};
        }
        cgikit::Error finish() override {
            log->append("|end|");
            return {};
        }
    };
    std::string log;
    std::vector<std::string> begun;
    RequestOptions options;
    options.upload_sink =
        [&](const cgikit::PartHeaders& headers) -> std::unique_ptr<cgikit::UploadSink> {
        begun.push_back(headers.name + ":" + headers.filename.value_or("?"));
        if (headers.name == "kept") return nullptr;  // let the library store this one
        return std::make_unique<Recorder>(&log);
    };
    const Request request =
        post_multipart(part("one", "AAA", "; filename=\"1\"") + part("field", "v") +
                           part("kept", "KKK", "; filename=\"k\"") +
                           part("two", "BB", "; filename=\"2\"") + close_delimiter(),
                       options);
    REQUIRE(request.ok());
    CHECK(begun == std::vector<std::string>{"one:1", "kept:k", "two:2"});
    CHECK(log == "AAA|end|BB|end|");
    REQUIRE(request.files().size() == 3);
    CHECK(request.files()[0].storage() == cgikit::Upload::Storage::sink);
    CHECK(request.files()[0].size() == 3);
    CHECK(request.files()[0].sink() != nullptr);
    CHECK(request.files()[1].memory_data() == "KKK");
    std::string unused;
    CHECK(request.files()[0].read_all(unused, 100));
    CHECK(request.files()[0].open() == nullptr);
}

TEST_CASE("request: a sink error stops the parse with its status", "[request]") {
    struct Refuser final : cgikit::UploadSink {
        cgikit::Error write(std::string_view) override {
            return cgikit::Error(cgikit::Errc::too_large, "quota exceeded");
        }
    };
    RequestOptions options;
    options.upload_sink = [](const cgikit::PartHeaders&) { return std::make_unique<Refuser>(); };
    const Request request =
        post_multipart(part("f", "data", "; filename=\"x\"") + close_delimiter(), options);
    CHECK(request.error().http_status() == 413);
    CHECK(request.error().message == "quota exceeded");
}

TEST_CASE("request: progress is reported per chunk up to the total", "[request]") {
    const std::string body = std::string("a=") + std::string(200000, 'x');
    std::vector<std::uint64_t> seen;
    RequestOptions options;
    options.on_progress = [&](std::uint64_t done, std::uint64_t total) {
        CHECK(total == body.size());
        seen.push_back(done);
    };
    const Request request =
        Request::from(post("application/x-www-form-urlencoded", body.size()), body, options);
    REQUIRE(request.ok());
    REQUIRE(seen.size() >= 4);
    CHECK(std::is_sorted(seen.begin(), seen.end()));
    CHECK(seen.back() == body.size());
}

TEST_CASE("request: query string limits", "[request]") {
    RequestOptions options;
    options.limits.max_fields = 3;
    const Request request = Request::from({{"QUERY_STRING", "a&b&c&d"}}, "", options);
    CHECK(request.error().http_status() == 413);
}

TEST_CASE("request: from a file descriptor", "[request]") {
    cgikit::test::TempDir temp;
    const std::string path = temp.path() + "/body";
    {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, "k=v&w=1", 7) == 7);
        ::close(fd);
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    const Request request = Request::from_fd(post("application/x-www-form-urlencoded", 7), fd);
    ::close(fd);
    REQUIRE(request.ok());
    CHECK(request.form().entries() == cgikit::Fields{{"k", "v"}, {"w", "1"}});
}

TEST_CASE("request: multipart from a pipe, written in small pieces", "[request]") {
    const std::string body =
        part("a", "1") + part("f", "xyz", "; filename=\"f\"") + close_delimiter();
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    for (std::size_t i = 0; i < body.size(); i += 5) {
        const std::size_t n = std::min<std::size_t>(5, body.size() - i);
        REQUIRE(::write(fds[1], body.data() + i, n) == static_cast<ssize_t>(n));
    }
    ::close(fds[1]);
    const Request request = Request::from_fd(
        post("multipart/form-data; boundary=\"" + std::string(kBoundary) + "\"", body.size()),
        fds[0]);
    ::close(fds[0]);
    REQUIRE(request.ok());
    CHECK(request.form().get("a") == "1");
    REQUIRE(request.files().size() == 1);
    CHECK(request.files()[0].memory_data() == "xyz");
}

// Apache 2.4 mod_cgi/mod_cgid pass a request sent with `Transfer-Encoding: chunked` de-chunked on
// stdin, but with no CONTENT_LENGTH and with HTTP_TRANSFER_ENCODING set (RFC 3875 §4.2 lets a
// server do so only when it gives another way to find the end: here, end of input).
namespace {

Environment chunked_post(std::string_view content_type, std::string_view coding = "chunked") {
    return {{"REQUEST_METHOD", "POST"},
            {"CONTENT_TYPE", std::string(content_type)},
            {"HTTP_TRANSFER_ENCODING", std::string(coding)}};
}

}  // namespace

TEST_CASE("request: a chunked body without CONTENT_LENGTH is read to end of input", "[request]") {
    SECTION("urlencoded form") {
        std::istringstream stream("a=1&b=two+words");
        const Request request =
            Request::from(chunked_post("application/x-www-form-urlencoded"), stream);
        REQUIRE(request.ok());
        CHECK(request.form().entries() == cgikit::Fields{{"a", "1"}, {"b", "two words"}});
        CHECK_FALSE(request.content_length());
    }
    SECTION("multipart with an upload") {
        const std::string body =
            part("a", "1") + part("f", "xyz", "; filename=\"f.txt\"") + close_delimiter();
        const Request request = Request::from(
            chunked_post("multipart/form-data; boundary=" + std::string(kBoundary)), body);
        REQUIRE(request.ok());
        CHECK(request.form().get("a") == "1");
        REQUIRE(request.files().size() == 1);
        CHECK(request.files()[0].memory_data() == "xyz");
    }
    SECTION("JSON") {
        const Request request = Request::from(chunked_post("application/json"), R"({"k": [1]})");
        REQUIRE(request.ok());
        REQUIRE(request.has_json());
        CHECK(request.json()["k"][0] == 1);
    }
    SECTION("raw, larger than one read, from a socket as under mod_cgid") {
        const std::string body = pattern(300000);
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        std::thread writer([&] {
            for (std::size_t i = 0; i < body.size(); i += 7000) {
                const std::size_t n = std::min<std::size_t>(7000, body.size() - i);
                if (::send(fds[1], body.data() + i, n, MSG_NOSIGNAL) != static_cast<ssize_t>(n)) {
                    break;  // the reader stopped reading: the CHECKs below fail
                }
            }
            ::shutdown(fds[1], SHUT_WR);
        });
        const Request request = Request::from_fd(chunked_post("application/octet-stream"), fds[0]);
        ::close(fds[0]);  // unblocks the writer if the body was not read
        writer.join();
        ::close(fds[1]);
        REQUIRE(request.ok());
        CHECK(request.body() == body);
    }
    SECTION("the coding is matched as a list, case-insensitively: chunked must be last") {
        for (const char* coding : {"Chunked", "gzip, chunked", " chunked ", "gzip,CHUNKED"}) {
            INFO(coding);
            const Request request = Request::from(chunked_post("text/plain", coding), "data");
            REQUIRE(request.ok());
            CHECK(request.body() == "data");
        }
    }
}

TEST_CASE("request: without a sign of a body, stdin is never read", "[request]") {
    // A server may leave stdin open (a GET under some servers): reading to EOF would hang.
    for (const char* coding : {"", "gzip", "chunked, gzip", "chunkedx", "identity"}) {
        INFO(coding);
        std::istringstream stream("a=1");
        const Request request =
            Request::from(chunked_post("application/x-www-form-urlencoded", coding), stream);
        REQUIRE(request.ok());
        CHECK(request.form().empty());
        CHECK(stream.tellg() == 0);
    }
}

TEST_CASE("request: CONTENT_LENGTH wins over a Transfer-Encoding", "[request]") {
    std::istringstream stream("a=1&b=2");
    Environment env = chunked_post("application/x-www-form-urlencoded");
    env["CONTENT_LENGTH"] = "3";
    const Request request = Request::from(env, stream);
    REQUIRE(request.ok());
    CHECK(request.form().entries() == cgikit::Fields{{"a", "1"}});
    CHECK(stream.tellg() == 3);
}

TEST_CASE("request: a chunked body over max_body_bytes is a 413 like a declared one", "[request]") {
    RequestOptions options;
    options.limits.max_body_bytes = 10;
    const std::string expected_message = "exceeds max_body_bytes (10)";
    for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "application/json",
                             "multipart/form-data; boundary=XyZzy42"}) {
        INFO(type);
        std::istringstream stream(std::string(100, 'x'));
        const Request request = Request::from(chunked_post(type), stream, options);
        CHECK(request.error().http_status() == 413);
        CHECK(request.error().message.find(expected_message) != std::string::npos);
        CHECK(request.error().message.find("request body") == 0);
        // It stops one byte past the limit: the rest is never read.
        CHECK(stream.tellg() == 11);
    }
    // Exactly at the limit is fine.
    const Request at_limit =
        Request::from(chunked_post("text/plain"), std::string(10, 'y'), options);
    REQUIRE(at_limit.ok());
    CHECK(at_limit.body() == std::string(10, 'y'));
    // A limit of "anything" does not overflow.
    options.limits.max_body_bytes = static_cast<std::size_t>(-1);
    const Request unlimited = Request::from(chunked_post("text/plain"), "abc", options);
    REQUIRE(unlimited.ok());
    CHECK(unlimited.body() == "abc");
}

TEST_CASE("request: an oversized chunked upload leaves no temp file behind", "[request]") {
    cgikit::test::TempDir temp;
    RequestOptions options;
    options.temp_directory = temp.path();
    options.limits.memory_threshold_bytes = 16;
    options.limits.max_body_bytes = 100000;
    const std::string body =
        part("f", pattern(200000), "; filename=\"big.bin\"") + close_delimiter();
    const Request request = Request::from(
        chunked_post("multipart/form-data; boundary=" + std::string(kBoundary)), body, options);
    CHECK(request.error().http_status() == 413);
    CHECK(request.files().empty());
    CHECK(temp.entries().empty());
}

TEST_CASE("request: an empty chunked body is no body", "[request]") {
    for (const char* type : {"multipart/form-data; boundary=XyZzy42", "application/json",
                             "application/x-www-form-urlencoded", "text/plain"}) {
        INFO(type);
        const Request request = Request::from(chunked_post(type), "");
        REQUIRE(request.ok());
        CHECK(request.form().empty());
        CHECK_FALSE(request.has_json());
        CHECK(request.body().empty());
    }
}

TEST_CASE("request: progress of a chunked body has total 0 (unknown)", "[request]") {
    const std::string body = std::string("a=") + std::string(200000, 'x');
    std::vector<std::uint64_t> seen;
    RequestOptions options;
    options.on_progress = [&](std::uint64_t done, std::uint64_t total) {
        CHECK(total == 0);
        seen.push_back(done);
    };
    const Request request =
        Request::from(chunked_post("application/x-www-form-urlencoded"), body, options);
    REQUIRE(request.ok());
    REQUIRE(seen.size() >= 4);
    CHECK(seen.back() == body.size());
}

TEST_CASE("request: leave_unread leaves a chunked body unread", "[request]") {
    RequestOptions options;
    options.body = cgikit::BodyHandling::leave_unread;
    std::istringstream stream("a=1");
    const Request request =
        Request::from(chunked_post("application/x-www-form-urlencoded"), stream, options);
    REQUIRE(request.ok());
    CHECK(stream.tellg() == 0);
}

// A request answered early leaves no body bytes unread on a socket or pipe: under Apache mod_cgid
// stdin and stdout are one Unix socket, and closing it with bytes unread resets it, losing the
// answer (the client gets an empty reply).
namespace {

struct SocketRun {
    std::optional<Request> request;
    bool threw = false;
    std::string left_unread;  // what the request left in the socket, up to end of input
};

// `bytes` sent by a thread into one end of a socket pair (then shut down), the request read from
// the other end, as under mod_cgid.
SocketRun run_on_socket(const Environment& env, const std::string& bytes,
                        const RequestOptions& options = {}) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    std::thread writer([&] {
        std::string_view rest = bytes;
        while (!rest.empty()) {
            const ssize_t n = ::send(fds[1], rest.data(), rest.size(), MSG_NOSIGNAL);
            if (n <= 0) break;
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        ::shutdown(fds[1], SHUT_WR);
    });
    SocketRun run;
    try {
        run.request.emplace(Request::from_fd(env, fds[0], options));
    } catch (...) {
        run.threw = true;
    }
    char buffer[65536];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) {
        run.left_unread.append(buffer, static_cast<std::size_t>(n));
    }
    writer.join();
    ::close(fds[0]);
    ::close(fds[1]);
    return run;
}

}  // namespace

TEST_CASE("request: an early answer drains the declared body, never past it", "[request]") {
    RequestOptions options;
    options.limits.max_body_bytes = 10;
    const std::string body = pattern(300000);
    SECTION("declared over the limit: refused before reading, drained after") {
        const SocketRun run =
            run_on_socket(post("text/plain", body.size()), body + "AFTER", options);
        REQUIRE(run.request);
        CHECK(run.request->error().http_status() == 413);
        CHECK(run.left_unread == "AFTER");
    }
    SECTION("chunked over the limit: drained to end of input") {
        const SocketRun run = run_on_socket(chunked_post("text/plain"), body, options);
        REQUIRE(run.request);
        CHECK(run.request->error().http_status() == 413);
        CHECK(run.left_unread.empty());
    }
    SECTION("malformed multipart found early") {
        const std::string garbage = "--" + std::string(kBoundary) + "\r\nno colon here\r\n\r\n";
        const SocketRun run =
            run_on_socket(post("multipart/form-data; boundary=" + std::string(kBoundary),
                               garbage.size() + 300000),
                          garbage + body + "AFTER");
        REQUIRE(run.request);
        CHECK(run.request->error().http_status() == 400);
        CHECK(run.left_unread == "AFTER");
    }
    SECTION("a query string over its limit, the body not yet touched") {
        RequestOptions few_fields;
        few_fields.limits.max_fields = 1;
        Environment env = post("text/plain", body.size());
        env["QUERY_STRING"] = "a&b";
        const SocketRun run = run_on_socket(env, body + "AFTER", few_fields);
        REQUIRE(run.request);
        CHECK(run.request->error().http_status() == 413);
        CHECK(run.left_unread == "AFTER");
    }
    SECTION("an exception from an upload sink") {
        RequestOptions throwing;
        throwing.upload_sink =
            [](const cgikit::PartHeaders&) -> std::unique_ptr<cgikit::UploadSink> {
            throw std::runtime_error("sink failed");
        };
        const std::string upload = part("f", body, "; filename=\"f.bin\"") + close_delimiter();
        const SocketRun run = run_on_socket(
            post("multipart/form-data; boundary=" + std::string(kBoundary), upload.size()),
            upload + "AFTER", throwing);
        CHECK(run.threw);
        CHECK(run.left_unread == "AFTER");
    }
    SECTION("a request read whole leaves only what follows it") {
        const SocketRun run = run_on_socket(post("text/plain", 5), "abcdeAFTER");
        REQUIRE(run.request);
        REQUIRE(run.request->ok());
        CHECK(run.left_unread == "AFTER");
    }
}

TEST_CASE("request: a body in a regular file is not drained (nothing to reset)", "[request]") {
    cgikit::test::TempDir temp;
    const std::string path = temp.path() + "/body";
    {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, "0123456789x", 11) == 11);
        ::close(fd);
    }
    RequestOptions options;
    options.limits.max_body_bytes = 10;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    const Request request = Request::from_fd(post("text/plain", 11), fd, options);
    CHECK(request.error().http_status() == 413);
    CHECK(::lseek(fd, 0, SEEK_CUR) == 0);
    ::close(fd);
}

TEST_CASE(
    "request: a JSON body over max_json_bytes is a 413, raw and other types are not held to it",
    "[request]") {
    RequestOptions options;
    options.max_json_bytes = 16;
    const std::string small = "[1,2,3]";
    CHECK(Request::from(post("application/json", small.size()), small, options).ok());
    const std::string big = "[0,0,0,0,0,0,0,0,0]";  // 19 bytes
    const Request refused = Request::from(post("application/json", big.size()), big, options);
    CHECK(refused.error().http_status() == 413);
    CHECK_FALSE(refused.has_json());
    // Without CONTENT_LENGTH (a chunked body under Apache) the bound holds while reading.
    const Request chunked = Request::from(chunked_post("application/json"), big, options);
    CHECK(chunked.error().http_status() == 413);
    // Only a body that would be parsed as JSON: raw handling and other media types keep the body
    // limit.
    RequestOptions raw = options;
    raw.body = cgikit::BodyHandling::raw;
    CHECK(Request::from(post("application/json", big.size()), big, raw).ok());
    CHECK(Request::from(post("text/plain", big.size()), big, options).ok());
    // The default admits 1 MiB of JSON text, not more.
    const std::string mib = "[" + std::string((1u << 20) - 2, ' ') + "]";
    CHECK(Request::from(post("application/json", mib.size()), mib).ok());
    const std::string over = mib + " ";
    CHECK(Request::from(post("application/json", over.size()), over).error().http_status() == 413);
}
