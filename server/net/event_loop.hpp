#pragma once
// EventLoop: one epoll instance and its timers, owned by one worker thread. Registrations are
// edge-triggered: a handler must drain its fd (read/write until EAGAIN) before waiting again.
// Handlers that want to go away call defer_destroy(); they are deleted after the current batch of
// events, so an event already fetched for them never touches freed memory.
#include <sys/epoll.h>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "net/timer.hpp"
#include "net/unique_fd.hpp"

namespace cgikit::net {

class EventHandler {
  public:
    virtual ~EventHandler() = default;
    // `events` is the epoll mask (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR, EPOLLRDHUP).
    virtual void on_events(std::uint32_t events) = 0;
};

class EventLoop {
  public:
    EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;
    ~EventLoop();

    // Registers fd for `events` (EPOLLET is added). Returns false (errno set) on failure.
    bool add(int fd, std::uint32_t events, EventHandler* handler);
    bool modify(int fd, std::uint32_t events, EventHandler* handler);
    void remove(int fd) noexcept;

    // Runs until stop() is called. `after_batch` runs after each batch of events (log flushing).
    void run(const std::function<void()>& after_batch = {});
    void stop() noexcept { running_ = false; }

    // Deletes `handler` after the current batch of events has been dispatched.
    void defer_destroy(std::unique_ptr<EventHandler> handler);

    TimerQueue& timers() noexcept { return timers_; }
    Clock::time_point now() const noexcept { return timers_.now(); }

  private:
    unique_fd epoll_fd_;
    TimerQueue timers_;
    bool running_ = false;
    std::vector<std::unique_ptr<EventHandler>> graveyard_;
};

}  // namespace cgikit::net
