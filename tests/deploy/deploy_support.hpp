#pragma once
// Support for the deployment tests: where the trees are, requests to a site wherever it is mounted,
// cgikitd configured to serve the bundled site, and a real Apache httpd started by hand in the
// foreground with a generated config (no system service is touched).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_server.hpp"

namespace cgikit::deploy {

using test::HttpResponse;
using test::TempDir;
using test::TestServer;

std::string source_dir();    // the checkout: www/, conf/apache/
std::string examples_dir();  // the built example programs

// Where the bundled site is mounted on a server: "/" on cgikitd itself, "/cgikit/" under Apache's
// cgi-bin.conf, "/app/" behind proxy.conf, "/cluster/" behind balancer.conf.
struct Site {
    std::string name;
    std::uint16_t port = 0;
    std::string prefix = "/";

    // http://127.0.0.1:<port><prefix><path>: what the site's own absolute links look like.
    std::string url(std::string_view path) const;
};

struct HttpRequest {
    std::string method = "GET";
    std::string path;  // relative to the site's prefix: "cgi-bin/form?x=1"
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// Sends one request on a new connection (Connection: close; Content-Length when there is a body)
// and reads the whole response. Throws std::runtime_error if none arrives within `timeout`.
HttpResponse send(const Site& site, const HttpRequest& request,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The raw request bytes send() writes, for tests that hold many connections open at once.
std::string format_request(const Site& site, const HttpRequest& request);

// One part of a multipart/form-data body (RFC 7578): a file part when `filename` is set.
struct FormPart {
    std::string name;
    std::string content;
    std::optional<std::string> filename;
    std::string content_type;  // omitted when empty
};
inline constexpr std::string_view kBoundary = "----cgikit-deploy-boundary-7MA4YWxkTrZu0gW";
std::string multipart_body(const std::vector<FormPart>& parts,
                           std::string_view boundary = kBoundary);
std::string multipart_content_type(std::string_view boundary = kBoundary);

// A directory for a guestbook database that the CGI user (nobody, when the test runs as root)
// can write: the database keeps -wal and -shm files beside the main file.
class DatabaseDir {
  public:
    DatabaseDir();
    std::string database() const { return dir_.path() + "/guestbook.sqlite3"; }

  private:
    TempDir dir_;
};

// cgikitd serving the bundled site (www/ as root, the examples under /cgi-bin/) with the guestbook
// database at `guestbook_db`. The CGI queue is generous: the tests that post hundreds of requests
// at once measure the guestbook, not the server's queue limit.
std::unique_ptr<TestServer> start_cgikitd(const std::string& guestbook_db);

// Apache httpd 2.4 (Debian's apache2) started by hand: a generated httpd.conf in a temp directory
// that listens on 127.0.0.1 and a free port, loads the modules the snippets need, keeps its pid,
// logs, cgid socket and runtime files in that directory, and appends `site_config` (Define lines
// and Includes of conf/apache/*.conf). Runs in the foreground (-D FOREGROUND) as a child of the
// test, in a process group of its own; stopped by its PID (SIGTERM, then SIGKILL for the group).
class Apache {
  public:
    explicit Apache(const std::string& site_config);
    ~Apache();
    Apache(const Apache&) = delete;
    Apache& operator=(const Apache&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    pid_t pid() const noexcept { return pid_; }
    std::string error_log() const;
    // Stops Apache and waits for every process of its group; true if it exited on SIGTERM.
    bool stop();

  private:
    bool start_on(std::uint16_t port, const std::string& site_config, std::string& why);

    TempDir dir_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

// Where Debian installs the server binary; empty if apache2 is not installed.
std::string apache_binary();

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
std::uint16_t free_port();

}  // namespace cgikit::deploy
