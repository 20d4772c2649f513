#pragma once
// Test support for integration tests: a temp directory, the real cgikitd started on a free port,
// and a raw-socket HTTP client that sends exact bytes and reads exact responses.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cgikit::test {

// A temporary directory (mode 0755 so a server that dropped privileges can read it), removed with
// everything in it on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const noexcept { return path_; }
    // Writes `content` to path()/relative (creating parent directories), with `mode`.
    std::string write(const std::string& relative, const std::string& content,
                      int mode = 0644) const;
    std::string mkdir(const std::string& relative) const;

  private:
    std::string path_;
};

// cgikitd as a child process. The constructor waits until the server logs its listening line
// (bounded by a timeout) and throws if it exits first.
class TestServer {
  public:
    struct Options {
        std::string root;  // --root
        std::vector<std::string> extra_args;
        std::optional<std::string> config_json;  // written to a temp file and passed as --config
        bool ipv6 = false;
        int workers = 2;
    };
    explicit TestServer(Options options);
    ~TestServer();
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    pid_t pid() const noexcept { return pid_; }
    std::string url(const std::string& path = "/") const;
    // Everything the server wrote to stderr (the error log) and stdout (the access log) so far.
    std::string stderr_text();
    std::string stdout_text();
    // Waits until stderr/stdout contains `needle`; false after `timeout`.
    bool wait_for_stderr(const std::string& needle,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool wait_for_stdout(const std::string& needle,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // Sends `signal` and, for SIGTERM/SIGINT, waits for the exit; returns the exit status (or -1).
    int stop(int signal = 15, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    void send_signal(int signal);

  private:
    void pump(int fd, std::string& sink);
    bool wait_for(const std::string& needle, std::string& haystack,
                  std::chrono::milliseconds timeout);

    TempDir config_dir_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    bool exited_ = false;
    int pipes_closed_ = 0;  // stdout and stderr pumps that reached EOF (under mutex_)
    int exit_status_ = -1;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::string stderr_, stdout_;
    std::thread stderr_reader_, stdout_reader_;
};

// Runs cgikitd with `args` to completion (for --check-config, bad flags); returns exit code and
// stderr+stdout.
struct CommandResult {
    int exit_code = -1;
    std::string output;
};
CommandResult run_cgikitd(const std::vector<std::string>& args);

struct HttpResponse {
    int status = 0;
    std::string reason;
    std::string version;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::optional<std::string> header(const std::string& name) const;  // case-insensitive, first
    std::size_t header_count(const std::string& name) const;
};

// One TCP connection speaking raw bytes.
class RawClient {
  public:
    explicit RawClient(std::uint16_t port, bool ipv6 = false);
    ~RawClient();
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    void send(const std::string& bytes);
    // Reads one response. `head_request` = the request was HEAD (no body follows).
    // Returns nullopt on EOF/timeout before a complete response.
    std::optional<HttpResponse> read_response(
        bool head_request = false, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Reads until the server closes; returns everything received (empty string if closed at once).
    // nullopt if the connection is still open after `timeout`.
    std::optional<std::string> read_until_close(
        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // True when the server has closed the connection (EOF seen, possibly after `pending` bytes).
    bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    void shutdown_write();
    int fd() const noexcept { return fd_; }

  private:
    bool fill(std::chrono::steady_clock::time_point deadline);
    int fd_ = -1;
    std::string buffer_;
    bool eof_ = false;
};

// True once the server side of the client's connection (`client_fd`, to `server_port` on
// 127.0.0.1) holds no unread bytes: the server has read what was sent so far. Read from
// /proc/net/tcp, so a test learns that a head was parsed without a reply to wait for.
bool server_has_read_everything(int client_fd, std::uint16_t server_port);

// One request on a new connection: convenience for the common case.
HttpResponse request(std::uint16_t port, const std::string& raw_request, bool head_request = false);

// The whole of a /proc file; "" when it cannot be read. read(2), not a stream: a process that
// exits between open and read makes the read fail (ESRCH), which libstdc++'s stream buffer turns
// into an exception.
std::string read_proc_file(const std::string& path);

// Number of open file descriptors of process `pid` (from /proc).
int count_open_fds(pid_t pid);
// Child processes of `pid` (from /proc), with their state letter (Z = zombie).
std::vector<std::pair<pid_t, char>> child_processes(pid_t pid);

// Path of the built cgikitd (from CMake).
std::string cgikitd_path();
std::string fixtures_dir();

}  // namespace cgikit::test
