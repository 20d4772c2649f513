#include "server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <latch>
#include <thread>

#include "handlers/child_process.hpp"
#include "net/listener.hpp"

namespace cgikit {

namespace {

// TCP_DEFER_ACCEPT: an HTTP client speaks first, so a connection is handed to a worker only once
// its first bytes have arrived (as Apache does by default on Linux). The worker then reads the
// request at once, and a `Connection: close` exchange costs accept, recv, send and close, without
// an epoll registration or an empty read. A connection that stays silent this long is accepted
// anyway (after the kernel's next SYN-ACK retransmission) and meets the header timeout.
constexpr int kDeferAcceptSeconds = 1;

net::unique_fd open_root(const std::string& root) {
    net::unique_fd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        throw ConfigError("root: cannot open directory '" + root + "': " + std::strerror(errno));
    return fd;
}

handlers::MimeTypes load_mime_types(const Config& c) {
    try {
        return handlers::MimeTypes::load(c.mime_types_file, c.default_type, c.mime_charset);
    } catch (const std::runtime_error& e) {
        throw ConfigError("mime.types_file: " + std::string(e.what()));
    }
}

unsigned worker_count(const Config& c) {
    if (c.workers != 0) return c.workers;
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
}

// RFC-less but universal practice: a server started as root binds its ports, then runs as an
// unprivileged user so that neither a bug in it nor a CGI script it runs acts as root.
void drop_privileges(const std::string& user, const std::string& root,
                     std::initializer_list<const LogFile*> logs, const LogFile& error_log) {
    if (::geteuid() != 0 || user.empty()) return;
    errno = 0;
    passwd* pw = ::getpwnam(user.c_str());
    if (pw == nullptr) throw ConfigError("user: no such user '" + user + "'");
    for (const LogFile* log : logs) {
        // SIGHUP reopens as `user`: the log files must be that user's (see LogFile::hand_over_to).
        // Not fatal (a file system may refuse chown, e.g. NFS with root_squash): the server runs,
        // and the operator learns now rather than at the first rotation.
        if (std::error_code ec = log->hand_over_to(pw->pw_uid)) {
            error_log.write(format_error_line("warn", 0, "",
                                              "cannot give log file " + log->path() + " to user '" +
                                                  user + "': " + ec.message() +
                                                  "; SIGHUP will not be able to reopen it"));
        }
    }
    if (::setgroups(0, nullptr) != 0 || ::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0) {
        throw ConfigError("user: cannot switch to '" + user + "': " + std::strerror(errno));
    }
    if (::access(root.c_str(), R_OK | X_OK) != 0) {
        throw ConfigError("root: '" + root + "' is not readable by user '" + user +
                          "' (the server runs as that user when started as root; set \"user\" "
                          "in the config or make the directory readable)");
    }
}

sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

void reopen_log(LogFile& log, const LogFile& error_log) {
    if (std::error_code ec = log.reopen()) {
        error_log.write(format_error_line("error", 0, "",
                                          "cannot reopen log file " + log.path() + ": " +
                                              ec.message() + "; still writing to the old file"));
    }
}

}  // namespace

void Server::block_handled_signals() {
    sigset_t signals = handled_signals();
    // Children are watched through pidfds, never SIGCHLD. Left unblocked, a SIGCHLD sent while a
    // worker has every signal blocked (around clone) is not discarded: it wakes the sigwait thread
    // for nothing (0.7 wake-ups per CGI request: rt_sigtimedwait in `WORKLOADS=cgi_ka
    // TOOLS=syscalls bench/profile.sh`). Blocked in every thread, it stays pending, coalesced.
    // CGI children start with an empty mask.
    sigaddset(&signals, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // The first error-log line ("listening on") is written before run(): to a stderr pipe whose
    // reader is gone, SIGPIPE would kill the server silently at startup. A write that fails is an
    // error value (EPIPE) from the very start.
    ::signal(SIGPIPE, SIG_IGN);
}

void Server::check(const Config& config) {
    open_root(config.root);
    LogFile access, error;
    access.open(config.access_log, STDOUT_FILENO);
    error.open(config.error_log, STDERR_FILENO);
    load_mime_types(config);
    // What starting would refuse, --check-config refuses too (as `nginx -t` and `apachectl -t`
    // refuse an unknown user). Only as root: otherwise "user" is not used.
    if (::geteuid() == 0 && !config.user.empty() && ::getpwnam(config.user.c_str()) == nullptr) {
        throw ConfigError("user: no such user '" + config.user + "'");
    }
}

Server::Server(Config config) : config_(std::move(config)) {
    access_log_.open(config_.access_log, STDOUT_FILENO);
    error_log_.open(config_.error_log, STDERR_FILENO);
    access_log_.report_failures_to(&error_log_);  // a full disk drops lines: say so, once
    mime_ = load_mime_types(config_);
    root_fd_ = open_root(config_.root);

    unsigned n = worker_count(config_);
    std::vector<std::vector<ListenSocket>> per_worker(n);
    for (const auto& text : config_.listen) {
        auto address = net::SocketAddress::parse(text);
        if (!address) throw ConfigError("listen: invalid address '" + text + "'");
        std::error_code ec;
        auto group = net::open_listener_group(*address, static_cast<int>(n), ec);
        if (group.empty())
            throw ConfigError("listen: cannot listen on " + text + ": " + ec.message());
        for (const auto& fd : group) {
            ::setsockopt(fd.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &kDeferAcceptSeconds,
                         sizeof kDeferAcceptSeconds);
        }
        auto bound = net::SocketAddress::local_of(group.front().get());
        for (unsigned i = 0; i < n; ++i)
            per_worker[i].push_back({std::move(group[i]), *bound});
        error_log_.write(
            format_error_line("notice", 0, "", "listening on http://" + bound->to_string() + "/"));
    }
    drop_privileges(config_.user, config_.root, {&access_log_, &error_log_}, error_log_);

    SharedState shared;
    shared.config = &config_;
    shared.mime = &mime_;
    shared.root_fd = root_fd_.get();
    shared.access_log = &access_log_;
    shared.error_log = &error_log_;
    shared.server_header = std::string("cgikit/") + CGIKIT_VERSION;
    for (unsigned i = 0; i < n; ++i) {
        workers_.push_back(std::make_unique<Worker>(shared, std::move(per_worker[i]), i));
    }
}

Server::~Server() = default;

int Server::run() {
    // Signals are taken by this thread with sigwait; workers (started below) inherit the mask.
    // main() blocked them before any thread existed; again here for callers other than main().
    block_handled_signals();
    const sigset_t signals = handled_signals();
    ::signal(SIGPIPE, SIG_IGN);  // a client that goes away is an error value, not a signal
    // Dispositions are final from here: CGI children reset only what differs from SIG_DFL.
    handlers::ChildProcess::snapshot_signal_dispositions();

    // Workers start serving only once every worker thread exists: a first response then means the
    // whole server is up (tests count threads after it), and no worker takes a burst of queued
    // connections alone while the others are still being created.
    std::latch all_started(static_cast<std::ptrdiff_t>(workers_.size()));
    std::vector<std::thread> threads;
    for (auto& w : workers_) {
        threads.emplace_back([&w, &all_started] {
            all_started.arrive_and_wait();
            w->run();
        });
    }

    while (true) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGHUP) {
            reopen_log(access_log_, error_log_);
            reopen_log(error_log_, error_log_);
            error_log_.write(format_error_line("notice", 0, "", "log files reopened"));
            continue;
        }
        error_log_.write(
            format_error_line("notice", 0, "", std::string("shutting down on ") + strsignal(sig)));
        break;
    }
    for (auto& w : workers_)
        w->request_stop();
    for (auto& t : threads)
        t.join();
    error_log_.write(format_error_line("notice", 0, "", "stopped"));
    return 0;
}

}  // namespace cgikit
