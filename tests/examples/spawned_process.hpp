#pragma once
// Child processes for tests: spawned with posix_spawn into a process group of their own, so that
// killing the group also stops whatever they forked; always killed and reaped, within a bound.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "net/unique_fd.hpp"

namespace cgikit::testing {

using Clock = std::chrono::steady_clock;

struct Pipe {
    net::unique_fd read;
    net::unique_fd write;

    static Pipe open() {
        int fds[2] = {-1, -1};
        if (::pipe2(fds, O_CLOEXEC) != 0) return {};
        return {net::unique_fd{fds[0]}, net::unique_fd{fds[1]}};
    }
};

// Reads what is available on `fd` into `out`, waiting until `deadline` for something to come.
// False at end of file or when the deadline passed with nothing new.
inline bool read_some(int fd, std::string& out, Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(std::max<long long>(left.count(), 0))) <= 0) {
        return false;
    }
    char buffer[4096];
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) return false;
    out.append(buffer, static_cast<std::size_t>(got));
    return true;
}

class SpawnedProcess {
  public:
    // Starts argv[0] with its stdout (and stderr when `capture_stderr`) on pipes and, when
    // `with_stdin`, its stdin on a pipe too. pid() is -1 if spawning failed.
    explicit SpawnedProcess(const std::vector<std::string>& argv, bool with_stdin = false,
                            bool capture_stderr = false) {
        Pipe in = with_stdin ? Pipe::open() : Pipe{};
        Pipe out = Pipe::open();
        Pipe err = capture_stderr ? Pipe::open() : Pipe{};
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        if (with_stdin) posix_spawn_file_actions_adddup2(&actions, in.read.get(), 0);
        posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
        if (capture_stderr) posix_spawn_file_actions_adddup2(&actions, err.write.get(), 2);
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attributes, 0);  // a group of its own, led by the child
        std::vector<char*> args;
        for (const auto& arg : argv)
            args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        if (::posix_spawn(&pid_, args[0], &actions, &attributes, args.data(), environ) != 0) {
            pid_ = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
        stdin_ = std::move(in.write);
        stdout_ = std::move(out.read);
        stderr_ = std::move(err.read);
    }
    SpawnedProcess(const SpawnedProcess&) = delete;
    SpawnedProcess& operator=(const SpawnedProcess&) = delete;
    ~SpawnedProcess() {
        if (pid_ > 0 && !status_) {
            ::kill(-pid_, SIGKILL);
            wait();
        }
    }

    pid_t pid() const { return pid_; }

    void write_stdin(const std::string& data) {
        std::size_t written = 0;
        while (written < data.size()) {
            const ssize_t n = ::write(stdin_.get(), data.data() + written, data.size() - written);
            if (n <= 0) return;
            written += static_cast<std::size_t>(n);
        }
    }
    void close_stdin() { stdin_.reset(); }

    // The next line of stdout without its newline; nullopt at end of file or after `timeout`.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            if (const auto end = pending_.find('\n'); end != std::string::npos) {
                std::string line = pending_.substr(0, end);
                pending_.erase(0, end + 1);
                return line;
            }
            if (!read_some(stdout_.get(), pending_, deadline)) return std::nullopt;
        }
    }

    // Reads stdout and stderr to their ends, then reaps; kills the group first if that takes
    // longer than `timeout`. The exit status (or 128 + signal).
    int finish(std::chrono::milliseconds timeout, std::string* out, std::string* err) {
        const auto deadline = Clock::now() + timeout;
        std::string out_text = pending_;
        std::string err_text;
        bool out_open = true;
        bool err_open = stderr_.valid();
        while ((out_open || err_open) && Clock::now() < deadline) {
            std::vector<pollfd> entries;
            if (out_open) entries.push_back({stdout_.get(), POLLIN, 0});
            if (err_open) entries.push_back({stderr_.get(), POLLIN, 0});
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
            if (::poll(entries.data(), entries.size(),
                       static_cast<int>(std::max<long long>(left.count(), 0))) <= 0) {
                break;
            }
            for (const auto& entry : entries) {
                if (entry.revents == 0) continue;
                std::string& text = entry.fd == stdout_.get() ? out_text : err_text;
                char buffer[4096];
                const ssize_t got = ::read(entry.fd, buffer, sizeof buffer);
                if (got > 0) {
                    text.append(buffer, static_cast<std::size_t>(got));
                } else {
                    (entry.fd == stdout_.get() ? out_open : err_open) = false;
                }
            }
        }
        if (out_open || err_open) ::kill(-pid_, SIGKILL);  // out of time
        if (out) *out = out_text;
        if (err) *err = err_text;
        return wait();
    }

    // Sends `signal` to the process only (not its group).
    void signal(int number) { ::kill(pid_, number); }

    // Reaps the process (blocking) and returns its exit status, or 128 + the killing signal.
    int wait() {
        if (status_) return *status_;
        int raw = 0;
        while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
        }
        status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
        return *status_;
    }

    // True while the process has not exited (it is not reaped by asking).
    bool running() const {
        if (status_) return false;
        siginfo_t info{};
        if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
            return false;
        }
        return info.si_pid == 0;
    }

  private:
    pid_t pid_ = -1;
    net::unique_fd stdin_;
    net::unique_fd stdout_;
    net::unique_fd stderr_;
    std::string pending_;
    std::optional<int> status_;
};

}  // namespace cgikit::testing
