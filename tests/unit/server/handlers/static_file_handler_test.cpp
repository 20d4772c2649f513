#include "handlers/static_file_handler.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "http/http_date.hpp"
#include "http/response_writer.hpp"

using cgikit::handlers::MimeTypes;
using cgikit::handlers::OpenFileCache;
using cgikit::handlers::serve_static;
using cgikit::handlers::StaticContext;
using cgikit::http::FileBody;
using cgikit::http::Method;
using cgikit::http::Request;
using cgikit::http::Response;

namespace {

// A document root in a temporary directory, removed at the end of the test.
class DocRoot {
  public:
    DocRoot() {
        std::string pattern = std::filesystem::temp_directory_path() / "cgikit-static-XXXXXX";
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
        fd_ = ::open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(fd_ >= 0);
        context_.root_fd = fd_;
        context_.index_files = &index_;
        context_.mime = &mime_;
    }
    DocRoot(const DocRoot&) = delete;
    DocRoot& operator=(const DocRoot&) = delete;
    ~DocRoot() {
        ::close(fd_);
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    void write(const std::string& relative, const std::string& contents) const {
        std::filesystem::path p = path_ + "/" + relative;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << contents;
    }
    void symlink(const std::string& target, const std::string& relative) const {
        REQUIRE(::symlink(target.c_str(), (path_ + "/" + relative).c_str()) == 0);
    }
    const std::string& path() const { return path_; }
    const StaticContext& context() const { return context_; }
    StaticContext& mutable_context() { return context_; }

  private:
    std::string path_;
    int fd_ = -1;
    std::vector<std::string> index_{"index.html"};
    MimeTypes mime_;
    StaticContext context_;
};

Request get(const std::string& path, Method method = Method::Get) {
    Request r;
    r.method = method == Method::Head ? "HEAD" : "GET";
    r.method_kind = method;
    r.target = path;
    r.raw_path = path;
    return r;
}

std::string header(const Response& r, std::string_view name) {
    auto value = r.headers.get(name);
    return value ? std::string(*value) : std::string("<none>");
}

// Holds every free descriptor of this process (under a soft limit lowered to `limit`) until
// destroyed, so that the next open(2) fails with EMFILE.
class DescriptorsExhausted {
  public:
    explicit DescriptorsExhausted(rlim_t limit) {
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        rlimit low = saved_;
        low.rlim_cur = std::min<rlim_t>(limit, saved_.rlim_cur);
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
        for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
            held_.push_back(fd);
    }
    DescriptorsExhausted(const DescriptorsExhausted&) = delete;
    DescriptorsExhausted& operator=(const DescriptorsExhausted&) = delete;
    ~DescriptorsExhausted() {
        for (int fd : held_)
            ::close(fd);
        ::setrlimit(RLIMIT_NOFILE, &saved_);
    }

  private:
    rlimit saved_{};
    std::vector<int> held_;
};

}  // namespace

TEST_CASE("serve_static answers 503 and logs when it runs out of descriptors", "[static][fds]") {
    // An existing file the server cannot open for want of descriptors must not be called missing
    // (404): that is what a client and every cache on the way would remember.
    DocRoot root;
    root.write("hello.txt", "hello world\n");
    root.write("sub/index.html", "<p>sub</p>\n");
    std::vector<std::string> logged;
    root.mutable_context().log_error = [&](const Request&, std::string_view message) {
        logged.emplace_back(message);
    };
    std::vector<Response> answers;
    {
        DescriptorsExhausted exhausted(256);
        answers.push_back(serve_static(get("/hello.txt"), "/hello.txt", root.context()));
        answers.push_back(serve_static(get("/sub/"), "/sub/", root.context()));
    }
    for (const Response& r : answers) {
        CHECK(r.status == 503);
        CHECK(header(r, "Retry-After") == "1");
    }
    REQUIRE(logged.size() == 2);
    CHECK(logged[0].find("/hello.txt") != std::string::npos);
    CHECK(logged[0].find("Too many open files") != std::string::npos);
    CHECK(root.context().file_cache.size() == 0);  // nothing about the failure is remembered
    // Descriptors back: served as usual.
    CHECK(serve_static(get("/hello.txt"), "/hello.txt", root.context()).status == 200);
    CHECK(serve_static(get("/sub/"), "/sub/", root.context()).status == 200);
}

TEST_CASE("serve_static sends a small file from memory and caches it", "[static]") {
    DocRoot root;
    root.write("hello.txt", "hello world\n");
    Response r = serve_static(get("/hello.txt"), "/hello.txt", root.context());
    CHECK(r.status == 200);
    REQUIRE(std::holds_alternative<std::string>(r.body));
    CHECK(std::get<std::string>(r.body) == "hello world\n");
    CHECK(header(r, "Content-Type") == "text/plain; charset=utf-8");
    CHECK(header(r, "Accept-Ranges") == "bytes");
    CHECK(header(r, "ETag").front() == '"');
    CHECK(header(r, "Last-Modified").size() == 29);
    CHECK(root.context().file_cache.size() == 1);

    SECTION("served again: the same representation") {
        Response again = serve_static(get("/hello.txt"), "/hello.txt", root.context());
        CHECK(std::get<std::string>(again.body) == "hello world\n");
        CHECK(header(again, "ETag") == header(r, "ETag"));
    }
    SECTION("a range of it") {
        Request ranged = get("/hello.txt");
        ranged.headers.add("Range", "bytes=6-10");
        Response part = serve_static(ranged, "/hello.txt", root.context());
        CHECK(part.status == 206);
        CHECK(std::get<std::string>(part.body) == "world");
        CHECK(header(part, "Content-Range") == "bytes 6-10/12");
    }
    SECTION("a conditional request for it") {
        Request conditional = get("/hello.txt");
        conditional.headers.add("If-None-Match", header(r, "ETag"));
        Response not_modified = serve_static(conditional, "/hello.txt", root.context());
        CHECK(not_modified.status == 304);
        CHECK(header(not_modified, "ETag") == header(r, "ETag"));
        CHECK(std::holds_alternative<std::monostate>(not_modified.body));
    }
}

TEST_CASE("serve_static into a reused Response answers as into a new one", "[static]") {
    DocRoot root;
    root.write("hello.txt", "hello world\n");
    root.write("big.bin", std::string(64 * 1024, 'b'));
    Request ranged = get("/hello.txt");
    ranged.headers.add("Range", "bytes=6-10");
    Request options = get("/hello.txt");
    options.method = "OPTIONS";
    options.method_kind = Method::Options;
    struct Case {
        Request request;
        std::string path;
    };
    const std::vector<Case> cases{
        {get("/hello.txt"), "/hello.txt"}, {ranged, "/hello.txt"},
        {get("/missing"), "/missing"},     {get("/big.bin"), "/big.bin"},
        {options, "/hello.txt"},           {get("/hello.txt"), "/hello.txt"}};
    Response reused;
    for (const auto& c : cases) {
        serve_static(c.request, c.path, root.context(), reused);
        Response fresh = serve_static(c.request, c.path, root.context());
        INFO(c.path << " " << c.request.method);
        CHECK(reused.status == fresh.status);
        CHECK(reused.close_connection == fresh.close_connection);
        CHECK(std::equal(reused.headers.begin(), reused.headers.end(), fresh.headers.begin(),
                         fresh.headers.end(), [](const auto& a, const auto& b) {
                             return a.name == b.name && a.value == b.value;
                         }));
        // An empty text body and no body are sent alike.
        CHECK(cgikit::http::body_length(reused) == cgikit::http::body_length(fresh));
        if (const auto* text = std::get_if<std::string>(&fresh.body)) {
            REQUIRE(std::holds_alternative<std::string>(reused.body));
            CHECK(std::get<std::string>(reused.body) == *text);
        } else if (std::holds_alternative<FileBody>(fresh.body)) {
            REQUIRE(std::holds_alternative<FileBody>(reused.body));
            CHECK(std::get<FileBody>(reused.body).length == std::get<FileBody>(fresh.body).length);
        }
    }
}

TEST_CASE("serve_static sends larger files from a descriptor", "[static]") {
    DocRoot root;
    const auto medium = static_cast<std::size_t>(OpenFileCache::kInlineFileBytes + 1);
    const auto large = static_cast<std::size_t>(OpenFileCache::kMaxFileBytes + 1);
    root.write("medium.bin", std::string(medium, 'm'));
    root.write("large.bin", std::string(large, 'l'));

    Response r = serve_static(get("/medium.bin"), "/medium.bin", root.context());
    REQUIRE(std::holds_alternative<FileBody>(r.body));
    const auto& body = std::get<FileBody>(r.body);
    CHECK(body.fd.valid());
    CHECK(body.offset == 0);
    CHECK(body.length == medium);
    char first = 0;
    CHECK(::pread(body.fd.get(), &first, 1, 0) == 1);
    CHECK(first == 'm');
    CHECK(root.context().file_cache.size() == 1);

    Response big = serve_static(get("/large.bin"), "/large.bin", root.context());
    REQUIRE(std::holds_alternative<FileBody>(big.body));
    CHECK(std::get<FileBody>(big.body).length == large);
    CHECK(root.context().file_cache.size() == 1);  // too large to cache
}

TEST_CASE("serve_static resolves index files and caches them under the directory", "[static]") {
    DocRoot root;
    root.write("sub/index.html", "<p>sub</p>\n");
    Response r = serve_static(get("/sub/"), "/sub/", root.context());
    CHECK(r.status == 200);
    CHECK(std::get<std::string>(r.body) == "<p>sub</p>\n");
    CHECK(header(r, "Content-Type") == "text/html; charset=utf-8");
    CHECK(root.context().file_cache.size() == 1);

    Response head = serve_static(get("/sub/", Method::Head), "/sub/", root.context());
    CHECK(head.status == 200);
    CHECK(header(head, "Content-Type") == "text/html; charset=utf-8");

    Response redirect = serve_static(get("/sub"), "/sub", root.context());
    CHECK(redirect.status == 301);
}

TEST_CASE("serve_static caches nothing that is not a file", "[static]") {
    DocRoot root;
    root.write("empty/.keep", "");
    CHECK(serve_static(get("/missing.txt"), "/missing.txt", root.context()).status == 404);
    CHECK(serve_static(get("/empty/"), "/empty/", root.context()).status == 403);
    CHECK(root.context().file_cache.size() == 0);
}

TEST_CASE("serve_static never dates a file after now (RFC 9110 section 8.8.2.1)", "[static]") {
    // A modification time in the future (clock skew, an archive unpacked from elsewhere) is
    // replaced by the time of the response, and conditionals compare against that same time.
    DocRoot root;
    root.write("future.txt", "later\n");
    const std::time_t before = std::time(nullptr);
    struct timespec times[2] = {};
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = before + 24 * 3600;
    REQUIRE(::utimensat(AT_FDCWD, (root.path() + "/future.txt").c_str(), times, 0) == 0);

    Response r = serve_static(get("/future.txt"), "/future.txt", root.context());
    const std::time_t after = std::time(nullptr);
    REQUIRE(r.status == 200);
    auto modified = cgikit::http::parse_http_date(header(r, "Last-Modified"));
    REQUIRE(modified);
    CHECK(*modified >= before);
    CHECK(*modified <= after);

    // Conditionals compare against that time too: the file is unmodified since a date between
    // now and its mtime.
    Request unmodified = get("/future.txt");
    unmodified.headers.add("If-Unmodified-Since", cgikit::http::format_http_date(after + 3600));
    CHECK(serve_static(unmodified, "/future.txt", root.context()).status == 200);
}

TEST_CASE("serve_static follows an index symlink inside the root, never out of it", "[static]") {
    DocRoot root;
    DocRoot outside;
    root.write("hello.txt", "hello world\n");
    root.write("in/.keep", "");
    root.write("out/.keep", "");
    outside.write("secret.txt", "SECRET\n");
    root.symlink("../hello.txt", "in/index.html");
    root.symlink(outside.path() + "/secret.txt", "out/index.html");

    Response direct = serve_static(get("/in/index.html"), "/in/index.html", root.context());
    CHECK(direct.status == 200);
    Response index = serve_static(get("/in/"), "/in/", root.context());
    CHECK(index.status == 200);
    CHECK(std::get<std::string>(index.body) == "hello world\n");
    CHECK(header(index, "ETag") == header(direct, "ETag"));
    CHECK(header(index, "Content-Type") == "text/html; charset=utf-8");  // by the index's name

    Response out = serve_static(get("/out/"), "/out/", root.context());
    CHECK(out.status == 403);
    CHECK(serve_static(get("/out/index.html"), "/out/index.html", root.context()).status == 404);
}

TEST_CASE("serve_static never blocks on a FIFO in the root", "[static]") {
    // open(2) of a FIFO for reading waits for a writer: a FIFO in the document root (as a file or
    // as a directory's index) would hang the worker and every connection on it. It is not a file:
    // 404 (nginx; lighttpd and Apache say 403), and a directory whose index is one has no index.
    DocRoot root;
    root.write("dir/.keep", "");
    REQUIRE(::mkfifo((root.path() + "/fifo").c_str(), 0644) == 0);
    REQUIRE(::mkfifo((root.path() + "/dir/index.html").c_str(), 0644) == 0);
    struct Case {
        std::string path;
        int status;
        std::string fifo;
    };
    for (const Case& c : {Case{"/fifo", 404, "/fifo"}, Case{"/dir/", 403, "/dir/index.html"}}) {
        INFO(c.path);
        auto answer = std::async(std::launch::async, [&] {
            return serve_static(get(c.path), c.path, root.context()).status;
        });
        if (answer.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
            // Release the blocked open so that the test ends.
            int writer = ::open((root.path() + c.fifo).c_str(), O_WRONLY | O_CLOEXEC);
            if (writer >= 0) ::close(writer);
            FAIL("serve_static blocked opening a FIFO");
        }
        CHECK(answer.get() == c.status);
    }
}

TEST_CASE("serve_static: a name longer than any file name can be is not found", "[static]") {
    // A segment over NAME_MAX (255 bytes) names no file: 404, as nginx and lighttpd answer and as
    // the CGI resolver already did. 414 would blame the length of a URI well under the request
    // line limit.
    DocRoot root;
    const std::string name = "/" + std::string(300, 'a');
    CHECK(serve_static(get(name), name, root.context()).status == 404);
    const std::string deep = "/" + std::string(256, 'd') + "/x.txt";
    CHECK(serve_static(get(deep), deep, root.context()).status == 404);
}
