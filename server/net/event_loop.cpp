#include "net/event_loop.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace cgikit::net {

namespace {
// Events fetched per epoll_wait: large enough to amortise the syscall, small enough for the stack.
constexpr int kMaxEventsPerWait = 256;
}  // namespace

EventLoop::EventLoop() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_fd_) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
}

EventLoop::~EventLoop() = default;

bool EventLoop::add(int fd, std::uint32_t events, EventHandler* handler) {
    epoll_event ev{};
    ev.events = events | EPOLLET;
    ev.data.ptr = handler;
    return ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::modify(int fd, std::uint32_t events, EventHandler* handler) {
    epoll_event ev{};
    ev.events = events | EPOLLET;
    ev.data.ptr = handler;
    return ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) noexcept {
    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::defer_destroy(std::unique_ptr<EventHandler> handler) {
    graveyard_.push_back(std::move(handler));
}

void EventLoop::run(const std::function<void()>& after_batch) {
    running_ = true;
    epoll_event events[kMaxEventsPerWait];
    while (running_) {
        int n = ::epoll_wait(epoll_fd_.get(), events, kMaxEventsPerWait, timers_.next_timeout_ms());
        if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait failed");
        timers_.update_now();
        for (int i = 0; i < n; ++i) {
            static_cast<EventHandler*>(events[i].data.ptr)->on_events(events[i].events);
        }
        timers_.run_expired();
        if (after_batch) after_batch();
        graveyard_.clear();
    }
    graveyard_.clear();
}

}  // namespace cgikit::net
