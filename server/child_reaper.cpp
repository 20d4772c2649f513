#include "child_reaper.hpp"

#include <algorithm>

namespace cgikit {

class ChildReaper::Entry final : public net::EventHandler {
  public:
    Entry(ChildReaper& reaper, handlers::ChildProcess child, std::function<void(int)> on_exit)
        : reaper_(reaper),
          child_(std::move(child)),
          on_exit_(std::move(on_exit)),
          timer_([this] { escalate(); }) {}

    void on_events(std::uint32_t events) override {
        // The pidfd turns readable only once the child has exited.
        if ((events & EPOLLIN) == 0) return;
        child_.reap_exited();
        reaper_.collect(*this);
    }
    void escalate() {
        if (!terminated_) {
            terminated_ = true;
            child_.terminate();
            timer_.arm_after(reaper_.loop_.timers(), reaper_.kill_grace_);
        } else {
            child_.kill();  // the pidfd reports the exit; collection follows
        }
    }

    ChildReaper& reaper_;
    handlers::ChildProcess child_;
    std::function<void(int)> on_exit_;
    net::Timer timer_;
    bool terminated_ = false;
};

ChildReaper::ChildReaper(net::EventLoop& loop, std::chrono::milliseconds kill_grace,
                         std::function<void(pid_t, int)> on_reaped)
    : loop_(loop), kill_grace_(kill_grace), on_reaped_(std::move(on_reaped)) {}

ChildReaper::~ChildReaper() {
    // Shutdown: whatever is left is killed and reaped by ChildProcess's destructor.
    for (auto& e : children_)
        loop_.remove(e->child_.pidfd());
}

void ChildReaper::adopt(handlers::ChildProcess child, Urgency urgency,
                        std::function<void(int status)> on_exit) {
    if (child.reaped()) return;
    if (urgency == Urgency::Abandoned) child.kill();
    if (auto status = child.try_reap()) {
        on_reaped_(child.pid(), *status);
        if (on_exit) on_exit(*status);
        return;
    }
    auto entry = std::make_unique<Entry>(*this, std::move(child), std::move(on_exit));
    Entry& e = *entry;
    children_.push_back(std::move(entry));
    loop_.add(e.child_.pidfd(), EPOLLIN, &e);
    switch (urgency) {
        case Urgency::Finished:
            e.timer_.arm_after(loop_.timers(), kill_grace_);
            break;
        case Urgency::TimedOut:
            e.escalate();
            break;
        case Urgency::Abandoned:
            e.terminated_ = true;  // already SIGKILLed
            break;
    }
    // The child may have exited between try_reap and epoll registration: edge-triggered epoll
    // reports a readable pidfd on registration, so nothing is missed.
}

void ChildReaper::collect(Entry& entry) {
    loop_.remove(entry.child_.pidfd());
    pid_t pid = entry.child_.pid();
    int status = *entry.child_.try_reap();
    auto it = std::find_if(children_.begin(), children_.end(),
                           [&](const auto& p) { return p.get() == &entry; });
    std::unique_ptr<Entry> owned = std::move(*it);
    children_.erase(it);
    on_reaped_(pid, status);
    if (owned->on_exit_) owned->on_exit_(status);
    loop_.defer_destroy(std::move(owned));
}

}  // namespace cgikit
