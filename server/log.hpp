#pragma once
// Logs. A LogFile is one open log (a path, stdout or stderr) shared by all workers: every line is
// written with one write(2) on an O_APPEND descriptor, so lines from different threads never
// interleave and no lock is needed. reopen() (SIGHUP, for logrotate) opens the path again and
// dup2()s it over the same descriptor number, so a worker writing concurrently never sees a closed
// fd.
#include <sys/types.h>

#include <atomic>
#include <ctime>
#include <string>
#include <string_view>
#include <system_error>

#include "http/request.hpp"

namespace cgikit {

class LogFile {
  public:
    LogFile() = default;
    LogFile(const LogFile&) = delete;
    LogFile& operator=(const LogFile&) = delete;
    ~LogFile();

    // "-" means `std_fd` (1 or 2); "off" disables the log. Throws ConfigError if it cannot open.
    void open(const std::string& spec, int std_fd);
    // Opens the path again (SIGHUP, logrotate). On failure the old file stays in use and the error
    // is returned for the caller to report. Nothing to do (and no error) for stdout/stderr/off.
    std::error_code reopen() noexcept;
    // Started as root, the server drops to an unprivileged user and from then on reopens its logs
    // as that user: a log file it opened as root (root-owned, mode 0640) could never be reopened,
    // even where nothing was rotated, and after logrotate's `create` (which copies the old file's
    // owner) every later line would go to the rotated file. So before the switch each log that is
    // a regular file is given to `uid` (group unchanged), as nginx chowns its log files to its
    // worker user. stdout/stderr, devices (/dev/null) and FIFOs are left alone.
    std::error_code hand_over_to(uid_t uid) const noexcept;
    const std::string& path() const noexcept { return path_; }
    bool enabled() const noexcept { return fd_ >= 0; }
    // Where to say that writes fail (full disk, a pipe nobody reads) and when they work again: one
    // line at each change, not one per dropped line. Set before any write; nullptr = nowhere.
    void report_failures_to(const LogFile* error_log) noexcept { failure_log_ = error_log; }
    // Writes whole lines. On a regular file one write(2) per call (O_APPEND: atomic). On a pipe,
    // FIFO or socket (stdout under a supervisor) only writes of at most PIPE_BUF bytes are atomic
    // (POSIX write(2)), so `text` goes in pieces of whole lines up to PIPE_BUF: lines from other
    // threads never land inside one (a single longer line is written alone, as far as it can be).
    // A failed write (full disk, EAGAIN, EPIPE) drops the rest: it must not stop the server.
    void write(std::string_view text) const noexcept;

  private:
    std::string path_;
    bool write_all(std::string_view text) const noexcept;

    int fd_ = -1;
    bool owned_ = false;
    bool regular_file_ = true;  // decided at open(); a reopen opens the same path
    const LogFile* failure_log_ = nullptr;
    mutable std::atomic<bool> failing_{false};  // written by every worker thread
};

// "2026-11-21T05:37:09Z" (UTC), for error log lines.
std::string iso8601_utc(std::time_t t);
// "21/Nov/2026:05:37:09 +0000", Common Log Format's date.
std::string clf_time(std::time_t t);

// One error-log line: time, level, request id (0 = none), client address, message.
std::string format_error_line(std::string_view level, std::uint64_t request_id,
                              std::string_view client, std::string_view message);

// One access-log line in Combined Log Format (Apache's "combined").
void append_access_line(std::string& out, const http::Request& request, std::string_view clf_now,
                        int status, std::uint64_t body_bytes_sent);

}  // namespace cgikit
