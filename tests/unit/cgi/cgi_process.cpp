#include "cgi_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace cgikit::test {
namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

struct Pipe {
    int read_end = -1;
    int write_end = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        read_end = fds[0];
        write_end = fds[1];
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    void close_read() {
        if (read_end >= 0) ::close(read_end);
        read_end = -1;
    }
    void close_write() {
        if (write_end >= 0) ::close(write_end);
        write_end = -1;
    }
};

}  // namespace

std::optional<std::string> CgiOutput::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return std::nullopt;
}

void parse_cgi_response(CgiOutput& out) {
    out.well_formed = false;
    out.headers.clear();
    out.status = 200;
    const std::size_t end = out.raw.find("\r\n\r\n");
    if (end == std::string::npos) return;
    std::string_view head(out.raw.data(), end + 2);
    out.body = out.raw.substr(end + 4);
    bool lines_ok = true;
    while (!head.empty()) {
        const std::size_t eol = head.find("\r\n");
        const std::string_view line = head.substr(0, eol);
        head.remove_prefix(eol + 2);
        if (line.find('\n') != std::string_view::npos ||
            line.find('\r') != std::string_view::npos) {
            lines_ok = false;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            lines_ok = false;
            continue;
        }
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
        out.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    if (auto status = out.header("Status")) out.status = std::atoi(status->c_str());
    out.well_formed = lines_ok;
}

CgiOutput run_cgi(const std::string& program, const std::map<std::string, std::string>& env,
                  std::string_view body, int timeout_ms) {
    ::signal(SIGPIPE, SIG_IGN);  // a child that exits without reading its stdin must not kill us
    Pipe in, out, err;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.read_end, 0);
    posix_spawn_file_actions_adddup2(&actions, out.write_end, 1);
    posix_spawn_file_actions_adddup2(&actions, err.write_end, 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> env_strings;
    for (const auto& [name, value] : env)
        env_strings.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : env_strings)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::string program_copy = program;
    char* argv[] = {program_copy.data(), nullptr};

    pid_t pid = -1;
    const int spawn_error =
        ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (spawn_error != 0) throw std::runtime_error("posix_spawn " + program + " failed");
    in.close_read();
    out.close_write();
    err.close_write();
    if (body.empty()) in.close_write();
    ::fcntl(in.write_end, F_SETFL, O_NONBLOCK);

    CgiOutput result;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buffer[65536];
    while (out.read_end >= 0 || err.read_end >= 0) {
        pollfd fds[3];
        nfds_t count = 0;
        auto add = [&](int fd, short events) {
            if (fd >= 0) fds[count++] = pollfd{fd, events, 0};
        };
        add(out.read_end, POLLIN);
        add(err.read_end, POLLIN);
        add(in.write_end, POLLOUT);
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0) {
            result.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        if (::poll(fds, count, static_cast<int>(left)) < 0 && errno != EINTR) break;
        for (nfds_t i = 0; i < count; ++i) {
            if (fds[i].revents == 0) continue;
            if (fds[i].fd == in.write_end) {
                const ssize_t n = ::write(in.write_end, body.data(), body.size());
                if (n > 0) body.remove_prefix(static_cast<std::size_t>(n));
                if ((n < 0 && errno != EAGAIN) || body.empty()) in.close_write();
                continue;
            }
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                (fds[i].fd == out.read_end ? result.raw : result.errors).append(buffer, n);
            } else if (n == 0 || errno != EINTR) {
                if (fds[i].fd == out.read_end) {
                    out.close_read();
                } else {
                    err.close_read();
                }
            }
        }
    }
    in.close_write();
    int wait_status = 0;
    ::waitpid(pid, &wait_status, 0);
    result.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    parse_cgi_response(result);
    return result;
}

TempDir::TempDir() {
    char pattern[] = "/tmp/cgikit-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::vector<std::string> TempDir::entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
        names.push_back(entry.path().filename().string());
    }
    return names;
}

}  // namespace cgikit::test
