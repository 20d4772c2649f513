#include "log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "config.hpp"

namespace cgikit {

namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Bytes from clients are hostile: quotes, backslashes and control bytes in logged request fields
// are escaped so a request cannot forge log lines (as Apache does for its access log).
void append_escaped(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
}

}  // namespace

LogFile::~LogFile() {
    if (owned_ && fd_ >= 0) ::close(fd_);
}

void LogFile::open(const std::string& spec, int std_fd) {
    path_ = spec;
    if (spec == "off") {
        fd_ = -1;
        return;
    }
    if (spec == "-") {
        fd_ = std_fd;
        owned_ = false;
    } else {
        int fd = ::open(spec.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0) throw ConfigError("cannot open log '" + spec + "': " + std::strerror(errno));
        fd_ = fd;
        owned_ = true;
    }
    struct stat st {};
    regular_file_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
}

std::error_code LogFile::reopen() noexcept {
    if (!owned_ || fd_ < 0) return {};
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    // On failure keep writing to the old file rather than losing lines.
    if (fd < 0) return {errno, std::system_category()};
    std::error_code result;
    if (::dup3(fd, fd_, O_CLOEXEC) < 0) result = {errno, std::system_category()};
    ::close(fd);
    return result;
}

std::error_code LogFile::hand_over_to(uid_t uid) const noexcept {
    if (!owned_ || fd_ < 0) return {};
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return {errno, std::system_category()};
    if (!S_ISREG(st.st_mode) || st.st_uid == uid) return {};
    if (::fchown(fd_, uid, static_cast<gid_t>(-1)) != 0) return {errno, std::system_category()};
    return {};
}

void LogFile::write(std::string_view text) const noexcept {
    if (fd_ < 0) return;
    bool written = true;
    if (regular_file_ || text.size() <= PIPE_BUF) {
        written = write_all(text);
    } else {
        while (written && !text.empty()) {
            std::size_t piece = text.size();
            if (piece > PIPE_BUF) {
                // The last whole line within PIPE_BUF; a longer first line goes alone, whole.
                std::size_t end = text.substr(0, PIPE_BUF).rfind('\n');
                if (end == std::string_view::npos) end = text.find('\n', PIPE_BUF);
                piece = end == std::string_view::npos ? text.size() : end + 1;
            }
            written = write_all(text.substr(0, piece));
            text.remove_prefix(piece);
        }
    }
    if (written == !failing_.load(std::memory_order_relaxed)) return;  // no change: the hot path
    const int error = errno;
    if (failing_.exchange(!written) == !written || failure_log_ == nullptr) return;
    failure_log_->write(format_error_line(
        written ? "notice" : "error", 0, "",
        written ? "writing to log file " + path_ + " again"
                : "cannot write to log file " + path_ + ": " + std::strerror(error) +
                      "; its lines are dropped until writing works again"));
}

bool LogFile::write_all(std::string_view text) const noexcept {
    while (!text.empty()) {
        ssize_t n = ::write(fd_, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;  // a full disk must not stop the server
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string iso8601_utc(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string clf_time(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday,
                  kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string format_error_line(std::string_view level, std::uint64_t request_id,
                              std::string_view client, std::string_view message) {
    std::string line = iso8601_utc(std::time(nullptr));
    line += " [";
    line += level;
    line += "]";
    if (request_id != 0) {
        line += " [req ";
        line += std::to_string(request_id);
        line += "]";
    }
    if (!client.empty()) {
        line += " [client ";
        line += client;
        line += "]";
    }
    line += ' ';
    append_escaped(line, message);
    line += '\n';
    return line;
}

void append_access_line(std::string& out, const http::Request& r, std::string_view clf_now,
                        int status, std::uint64_t body_bytes_sent) {
    out += r.peer.remote_address.empty() ? "-" : r.peer.remote_address;
    out += " - - [";
    out += clf_now;
    out += "] \"";
    if (r.method.empty() || r.target.empty()) {
        // No request line was read (garbage, a TLS handshake, a 414, a timeout before it ended):
        // "-" as Apache logs it, rather than a line the client never sent ("  HTTP/1.1").
        out += '-';
    } else {
        append_escaped(out, r.method);
        out += ' ';
        append_escaped(out, r.target);
        out += " HTTP/";
        out += static_cast<char>('0' + r.version.major);
        out += '.';
        out += static_cast<char>('0' + r.version.minor);
    }
    out += "\" ";
    out += std::to_string(status);
    out += ' ';
    out += body_bytes_sent == 0 ? std::string("-") : std::to_string(body_bytes_sent);
    out += " \"";
    append_escaped(out, r.headers.get("Referer").value_or("-"));
    out += "\" \"";
    append_escaped(out, r.headers.get("User-Agent").value_or("-"));
    out += "\"\n";
}

}  // namespace cgikit
