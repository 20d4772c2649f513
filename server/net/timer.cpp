#include "net/timer.hpp"

namespace cgikit::net {

void Timer::arm(TimerQueue& queue, Clock::time_point deadline) {
    cancel();
    deadline_ = deadline;
    queue.insert(*this, queue.lane_for(TimerQueue::kAbsolute));
}

void Timer::arm_after(TimerQueue& queue, Clock::duration timeout) {
    cancel();
    deadline_ = queue.now() + timeout;
    queue.insert(*this, queue.lane_for(timeout));
}

void Timer::cancel() noexcept {
    if (queue_ != nullptr) queue_->unlink(*this);
}

TimerQueue::~TimerQueue() {
    for (std::size_t i = 0; i < lane_count_; ++i) {
        while (lanes_[i].head != nullptr)
            unlink(*lanes_[i].head);
    }
}

TimerLane& TimerQueue::lane_for(Clock::duration length) {
    for (std::size_t i = 0; i < lane_count_; ++i) {
        if (lanes_[i].length == length) return lanes_[i];
    }
    if (lane_count_ == kMaxLanes) return lanes_[kMaxLanes - 1];
    lanes_[lane_count_].length = length;
    return lanes_[lane_count_++];
}

void TimerQueue::insert(Timer& timer, TimerLane& lane) noexcept {
    Timer* after = lane.tail;
    while (after != nullptr && after->deadline_ > timer.deadline_)
        after = after->prev_;
    timer.prev_ = after;
    timer.next_ = after != nullptr ? after->next_ : lane.head;
    if (timer.next_ != nullptr) {
        timer.next_->prev_ = &timer;
    } else {
        lane.tail = &timer;
    }
    if (after != nullptr) {
        after->next_ = &timer;
    } else {
        lane.head = &timer;
    }
    timer.queue_ = this;
    timer.lane_ = &lane;
    timer.armed_in_run_ = runs_;
}

void TimerQueue::unlink(Timer& timer) noexcept {
    TimerLane& lane = *timer.lane_;
    if (timer.prev_ != nullptr) {
        timer.prev_->next_ = timer.next_;
    } else {
        lane.head = timer.next_;
    }
    if (timer.next_ != nullptr) {
        timer.next_->prev_ = timer.prev_;
    } else {
        lane.tail = timer.prev_;
    }
    timer.prev_ = timer.next_ = nullptr;
    timer.queue_ = nullptr;
    timer.lane_ = nullptr;
}

int TimerQueue::next_timeout_ms() const noexcept {
    const Timer* earliest = nullptr;
    for (std::size_t i = 0; i < lane_count_; ++i) {
        const Timer* head = lanes_[i].head;
        if (head != nullptr && (earliest == nullptr || head->deadline_ < earliest->deadline_)) {
            earliest = head;
        }
    }
    if (earliest == nullptr) return -1;
    auto now = Clock::now();
    if (earliest->deadline_ <= now) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(earliest->deadline_ - now).count();
    return ms > 60'000 ? 60'000 : static_cast<int>(ms);
}

Timer* TimerQueue::next_due(std::uint64_t run) const noexcept {
    Timer* earliest = nullptr;
    for (std::size_t i = 0; i < lane_count_; ++i) {
        Timer* timer = lanes_[i].head;
        // Armed by a callback of this run: it waits for the next run, even if already due.
        while (timer != nullptr && timer->deadline_ <= now_ && timer->armed_in_run_ == run)
            timer = timer->next_;
        if (timer != nullptr && timer->deadline_ <= now_ &&
            (earliest == nullptr || timer->deadline_ < earliest->deadline_)) {
            earliest = timer;
        }
    }
    return earliest;
}

void TimerQueue::run_expired() {
    update_now();
    const std::uint64_t run = ++runs_;
    // Each callback may destroy or re-arm any timer: look again after every one.
    while (Timer* timer = next_due(run)) {
        unlink(*timer);
        timer->on_expiry_();
    }
}

}  // namespace cgikit::net
