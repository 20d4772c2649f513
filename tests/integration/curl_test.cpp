// libcurl as a real client: what a browser-like client does must just work (GET, HEAD, connection
// reuse, ranges, conditional requests, Expect: 100-continue on a large upload).
#include <curl/curl.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "site.hpp"
#include "test_server.hpp"

using namespace cgikit::test;

namespace {

// curl_global_init is not thread-safe; Catch runs test cases one after another, so doing it once
// here, before the first handle, is enough.
struct CurlGlobal {
    CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~CurlGlobal() { curl_global_cleanup(); }
};

std::size_t append_to(char* data, std::size_t size, std::size_t count, void* sink) {
    static_cast<std::string*>(sink)->append(data, size * count);
    return size * count;
}

struct Transfer {
    CURLcode code = CURLE_OK;
    long status = 0;
    std::string body;
    std::string headers;  // every header line received, interim responses included
    long connects = -1;   // new connections this transfer opened
};

// One easy handle, reused across transfers so that libcurl keeps its connection.
class Client {
  public:
    Client() : handle_(curl_easy_init()) {
        static CurlGlobal global;
        REQUIRE(handle_);
    }
    ~Client() {
        curl_slist_free_all(header_list_);
        curl_easy_cleanup(handle_);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    CURL* handle() { return handle_; }

    Transfer perform(const std::string& url, const std::vector<std::string>& headers = {}) {
        Transfer t;
        curl_slist_free_all(header_list_);
        header_list_ = nullptr;
        for (const auto& h : headers)
            header_list_ = curl_slist_append(header_list_, h.c_str());
        curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, header_list_);
        curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, append_to);
        curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &t.body);
        curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, append_to);
        curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &t.headers);
        curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
        t.code = curl_easy_perform(handle_);
        curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &t.status);
        curl_easy_getinfo(handle_, CURLINFO_NUM_CONNECTS, &t.connects);
        return t;
    }

  private:
    CURL* handle_;
    curl_slist* header_list_ = nullptr;
};

// The value of header `name` in `headers` (raw header lines), case-insensitive, or "".
std::string header_value(const std::string& headers, const std::string& name) {
    std::string lower_headers = headers;
    std::string lower_name = name + ":";
    for (auto& c : lower_headers)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : lower_name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto at = lower_headers.find("\n" + lower_name);
    if (at == std::string::npos) return "";
    auto start = at + 1 + lower_name.size();
    auto end = headers.find("\r\n", start);
    std::string value = headers.substr(start, end - start);
    while (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
    return value;
}

}  // namespace

TEST_CASE("curl: GET", "[curl]") {
    Site site;
    TestServer server({.root = site.dir.path()});
    Client client;
    Transfer t = client.perform(server.url("/hello.txt"));
    CHECK(t.code == CURLE_OK);
    CHECK(t.status == 200);
    CHECK(t.body == "hello world\n");
    CHECK(header_value(t.headers, "Content-Type") == "text/plain; charset=utf-8");
    CHECK(header_value(t.headers, "Content-Length") == "12");
    Transfer missing = client.perform(server.url("/missing"));
    CHECK(missing.code == CURLE_OK);
    CHECK(missing.status == 404);
    CHECK(missing.body.find("404") != std::string::npos);
}

TEST_CASE("curl: HEAD has the GET's headers and no body", "[curl]") {
    Site site;
    TestServer server({.root = site.dir.path()});
    Client client;
    curl_easy_setopt(client.handle(), CURLOPT_NOBODY, 1L);
    Transfer t = client.perform(server.url("/hello.txt"));
    CHECK(t.code == CURLE_OK);
    CHECK(t.status == 200);
    CHECK(t.body.empty());
    curl_off_t length = -1;
    curl_easy_getinfo(client.handle(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    CHECK(length == 12);
    // The connection is still usable: a GET on it gets its body, not stray bytes.
    curl_easy_setopt(client.handle(), CURLOPT_NOBODY, 0L);
    curl_easy_setopt(client.handle(), CURLOPT_HTTPGET, 1L);
    Transfer get = client.perform(server.url("/index.html"));
    CHECK(get.code == CURLE_OK);
    CHECK(get.body == "<h1>home</h1>\n");
    CHECK(get.connects == 0);
}

TEST_CASE("curl: keep-alive reuses the connection", "[curl]") {
    Site site;
    TestServer server({.root = site.dir.path()});
    Client client;
    Transfer first = client.perform(server.url("/hello.txt"));
    CHECK(first.code == CURLE_OK);
    CHECK(first.connects == 1);
    for (int i = 0; i < 3; ++i) {
        Transfer again = client.perform(server.url(i % 2 ? "/hello.txt" : "/"));
        CHECK(again.code == CURLE_OK);
        CHECK(again.status == 200);
        CHECK(again.connects == 0);  // no new connection
    }
}

TEST_CASE("curl: a range request", "[curl]") {
    Site site;
    TestServer server({.root = site.dir.path()});
    Client client;
    curl_easy_setopt(client.handle(), CURLOPT_RANGE, "6-10");
    Transfer t = client.perform(server.url("/hello.txt"));
    CHECK(t.code == CURLE_OK);
    CHECK(t.status == 206);
    CHECK(t.body == "world");
    CHECK(header_value(t.headers, "Content-Range") == "bytes 6-10/12");
}

TEST_CASE("curl: conditional requests by ETag and by date", "[curl]") {
    Site site;
    TestServer server({.root = site.dir.path()});
    Client client;
    Transfer first = client.perform(server.url("/hello.txt"));
    REQUIRE(first.status == 200);
    std::string etag = header_value(first.headers, "ETag");
    REQUIRE_FALSE(etag.empty());

    Transfer by_etag = client.perform(server.url("/hello.txt"), {"If-None-Match: " + etag});
    CHECK(by_etag.code == CURLE_OK);
    CHECK(by_etag.status == 304);
    CHECK(by_etag.body.empty());

    long file_time = -1;
    curl_easy_setopt(client.handle(), CURLOPT_FILETIME, 1L);
    client.perform(server.url("/hello.txt"));
    curl_easy_getinfo(client.handle(), CURLINFO_FILETIME, &file_time);
    REQUIRE(file_time > 0);
    curl_easy_setopt(client.handle(), CURLOPT_TIMECONDITION,
                     static_cast<long>(CURL_TIMECOND_IFMODSINCE));
    curl_easy_setopt(client.handle(), CURLOPT_TIMEVALUE, file_time);
    Transfer by_date = client.perform(server.url("/hello.txt"));
    CHECK(by_date.code == CURLE_OK);
    CHECK(by_date.status == 304);
    CHECK(by_date.connects == 0);  // still the same connection after the 304s
}

TEST_CASE("curl: a large upload waits for 100 Continue and gets the final status", "[curl]") {
    Site site;
    TestServer server({.root = site.dir.path(),
                       .extra_args = {"--cgi-bin", "/cgi-bin/=" + fixtures_dir() + "/cgi-bin"}});
    std::string upload(2 * 1024 * 1024, 'u');  // large enough for curl to send Expect
    {
        // A script reads the body: 100, then the upload, then its answer.
        Client client;
        curl_easy_setopt(client.handle(), CURLOPT_POSTFIELDS, upload.data());
        curl_easy_setopt(client.handle(), CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(upload.size()));
        Transfer t = client.perform(server.url("/cgi-bin/stdin_len.sh"));
        CHECK(t.code == CURLE_OK);
        CHECK(t.headers.find("HTTP/1.1 100 Continue") != std::string::npos);
        CHECK(t.status == 200);
        CHECK(t.body == std::to_string(upload.size()) + "\n");
    }
    {
        // A static file does not: the 405 comes at once, without 100, and curl takes it as the
        // answer (RFC 9110 §10.1.1) without sending the upload.
        Client client;
        curl_easy_setopt(client.handle(), CURLOPT_POSTFIELDS, upload.data());
        curl_easy_setopt(client.handle(), CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(upload.size()));
        Transfer t = client.perform(server.url("/hello.txt"));
        CHECK(t.code == CURLE_OK);
        CHECK(t.headers.find("100 Continue") == std::string::npos);
        CHECK(t.status == 405);
        CHECK(header_value(t.headers, "Allow") == "GET, HEAD, OPTIONS");
    }
}

TEST_CASE("curl: an h2c upgrade offer is ignored and the connection keeps working", "[curl]") {
    // curl --http2 on an http:// URL offers "Upgrade: h2c"; a server without HTTP/2 answers in
    // HTTP/1.1 and the connection goes on. A phantom request after the offer (see protocol_test)
    // would make the next transfer on the connection read the wrong response.
    curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    if ((info->features & CURL_VERSION_HTTP2) == 0) {
        WARN("libcurl without HTTP/2: nothing to check");
        return;
    }
    Site site;
    TestServer server({.root = site.dir.path()});
    Client client;
    curl_easy_setopt(client.handle(), CURLOPT_HTTP_VERSION,
                     static_cast<long>(CURL_HTTP_VERSION_2_0));
    Transfer first = client.perform(server.url("/hello.txt"));
    CHECK(first.code == CURLE_OK);
    CHECK(first.status == 200);
    CHECK(first.body == "hello world\n");
    Transfer second = client.perform(server.url("/index.html"));
    CHECK(second.code == CURLE_OK);
    CHECK(second.status == 200);
    CHECK(second.body == "<h1>home</h1>\n");
}
