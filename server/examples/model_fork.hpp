#pragma once
// The fork model: a process per client, as inetd and the first web servers did it. Blocking code
// again, and now each client runs in a process of its own, so a crash ends one connection only.
// The price: a fork() per connection, a process per client, and children to reap - a child that
// has exited stays a zombie in the process table until its parent wait()s for it.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <system_error>

#include "serving.hpp"

namespace cgikit::examples {

namespace fork_model {

// Children not yet reaped. The SIGCHLD handler decrements it, so it must be a lock-free atomic:
// the only kind of shared variable a signal handler may touch.
inline std::atomic<int> live_children{0};
static_assert(std::atomic<int>::is_always_lock_free);

// SIGCHLD handler. Signals do not queue: one SIGCHLD may stand for several exited children, so
// reap until none is left.
inline void reap_children(int) {
    const int saved_errno = errno;  // the code we interrupted may be about to read errno
    while (::waitpid(-1, nullptr, WNOHANG) > 0)
        live_children.fetch_sub(1);
    errno = saved_errno;
}

inline std::error_code install_child_reaper() {
    struct sigaction action {};
    action.sa_handler = reap_children;
    sigemptyset(&action.sa_mask);
    // SA_RESTART: an accept() the signal interrupts resumes instead of failing with EINTR.
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    if (::sigaction(SIGCHLD, &action, nullptr) != 0) return last_error();
    return {};
}

// Sleeps until fewer than `limit` children are alive.
inline void wait_for_child_slot(int limit) {
    sigset_t sigchld;
    sigset_t previous;
    sigemptyset(&sigchld);
    sigaddset(&sigchld, SIGCHLD);
    // With SIGCHLD blocked between the test and the sleep, it cannot arrive unnoticed in between;
    // sigsuspend() unblocks it and sleeps in one step.
    ::sigprocmask(SIG_BLOCK, &sigchld, &previous);
    while (live_children.load() >= limit)
        ::sigsuspend(&previous);
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
}

}  // namespace fork_model

template <StreamListener Listener>
int serve_with_processes(Listener& listener, const ServerOptions& options) {
    if (auto ec = fork_model::install_child_reaper()) {
        report("sigaction", ec);
        return 1;
    }
    for (;;) {
        fork_model::wait_for_child_slot(options.max_clients);
        auto [client, ec] = listener.accept();
        if (ec) {
            after_accept_error(ec);
            continue;
        }
        // Counted before fork(): the child may exit and be reaped before fork() returns here.
        fork_model::live_children.fetch_add(1);
        const pid_t child = ::fork();
        if (child == 0) {
            listener.close();  // the child serves this one client; only the parent accepts
            serve_client(client, options);
            // _exit, not exit: the parent's atexit handlers and unflushed stdio are not ours.
            ::_exit(0);
        }
        if (child < 0) {
            fork_model::live_children.fetch_sub(1);
            report("fork", last_error());
        }
    }  // the parent's copy of the connection closes here; the child's stays open until it is done
}

inline int serve_with_processes(net::UdpSocket& socket, const ServerOptions& options) {
    // As in the threads model, a few processes take turns at the one socket: they are forked in
    // advance ("pre-forked") since there is no connection to fork for.
    const pid_t server = ::getpid();
    for (int i = 0; i < options.datagram_workers; ++i) {
        const pid_t child = ::fork();
        if (child == 0) {
            // A worker must not outlive its server (Linux): SIGTERM when the parent dies - and
            // the parent may have died before this line, which getppid() tells.
            if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != server) ::_exit(1);
            for (;;)
                (void)answer_datagram(socket);
        }
        if (child < 0) report("fork", last_error());
    }
    // The parent's one job: reap its workers, which only end when killed.
    while (::wait(nullptr) > 0 || errno == EINTR) {
    }
    report("workers", std::make_error_code(std::errc::no_child_process));
    return 1;
}

}  // namespace cgikit::examples
