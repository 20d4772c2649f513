#pragma once
// ChildReaper: takes CGI children whose request is over and makes sure each one ends and is reaped
// without blocking the worker: a child that already exited is collected at once; one still running
// gets `grace` to exit, then SIGTERM, then SIGKILL after `kill_grace` (scripts that linger after
// closing stdout, timed-out scripts). Its pidfd in epoll tells when to collect.
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "handlers/child_process.hpp"
#include "net/event_loop.hpp"

namespace cgikit {

class ChildReaper {
  public:
    // `on_reaped` runs after each child is collected (the worker frees a CGI slot).
    ChildReaper(net::EventLoop& loop, std::chrono::milliseconds kill_grace,
                std::function<void(pid_t, int)> on_reaped);
    ~ChildReaper();

    enum class Urgency {
        Finished,   // the response is complete: let it exit by itself for a moment
        TimedOut,   // SIGTERM now, SIGKILL after kill_grace
        Abandoned,  // the client is gone: SIGKILL now
    };
    // `on_exit` runs with the wait status once this child is collected (the exchange that gave it
    // up logs a non-zero exit or a crash with its request id).
    void adopt(handlers::ChildProcess child, Urgency urgency,
               std::function<void(int status)> on_exit = {});
    std::size_t size() const noexcept { return children_.size(); }

  private:
    class Entry;
    void collect(Entry& entry);

    net::EventLoop& loop_;
    std::chrono::milliseconds kill_grace_;
    std::function<void(pid_t, int)> on_reaped_;
    std::vector<std::unique_ptr<Entry>> children_;
};

}  // namespace cgikit
