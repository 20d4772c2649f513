#include "net/timer.hpp"

namespace cgikit::net {

void Timer::arm(TimerQueue& queue, Clock::time_point deadline) {
    cancel();
    deadline_ = deadline;
    queue.insert(*this);
}

void Timer::arm_after(TimerQueue& queue, Clock::duration timeout) {
    arm(queue, queue.now() + timeout);
}

void Timer::cancel() noexcept {
    if (queue_ != nullptr) queue_->unlink(*this);
}

TimerQueue::~TimerQueue() {
    while (head_ != nullptr)
        unlink(*head_);
}

void TimerQueue::insert(Timer& timer) noexcept {
    Timer* after = tail_;
    while (after != nullptr && after->deadline_ > timer.deadline_)
        after = after->prev_;
    timer.prev_ = after;
    timer.next_ = after != nullptr ? after->next_ : head_;
    if (timer.next_ != nullptr) {
        timer.next_->prev_ = &timer;
    } else {
        tail_ = &timer;
    }
    if (after != nullptr) {
        after->next_ = &timer;
    } else {
        head_ = &timer;
    }
    timer.queue_ = this;
    timer.armed_in_run_ = runs_;
}

void TimerQueue::unlink(Timer& timer) noexcept {
    if (timer.prev_ != nullptr) {
        timer.prev_->next_ = timer.next_;
    } else {
        head_ = timer.next_;
    }
    if (timer.next_ != nullptr) {
        timer.next_->prev_ = timer.prev_;
    } else {
        tail_ = timer.prev_;
    }
    timer.prev_ = timer.next_ = nullptr;
    timer.queue_ = nullptr;
}

int TimerQueue::next_timeout_ms() const noexcept {
    if (head_ == nullptr) return -1;
    auto now = Clock::now();
    if (head_->deadline_ <= now) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(head_->deadline_ - now).count();
    return ms > 60'000 ? 60'000 : static_cast<int>(ms);
}

void TimerQueue::run_expired() {
    update_now();
    const std::uint64_t run = ++runs_;
    Timer* timer = head_;
    while (timer != nullptr && timer->deadline_ <= now_) {
        if (timer->armed_in_run_ == run) {  // armed by a callback of this run: next run
            timer = timer->next_;
            continue;
        }
        unlink(*timer);
        timer->on_expiry_();  // may destroy or re-arm any timer: start again from the head
        timer = head_;
    }
}

}  // namespace cgikit::net
