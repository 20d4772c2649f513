#pragma once
// Timers for one event loop. A Timer is an intrusive node owned by whoever needs the timeout (a
// connection, a CGI exchange); destroying it cancels it. The queue is a list sorted by deadline and
// inserted from the back: almost every timer in this server is "now + a fixed timeout", so the
// insert point is the tail and arming, re-arming and cancelling are O(1) without allocation.
#include <chrono>
#include <cstdint>
#include <functional>

namespace cgikit::net {

using Clock = std::chrono::steady_clock;

class TimerQueue;

class Timer {
  public:
    explicit Timer(std::function<void()> on_expiry) : on_expiry_(std::move(on_expiry)) {}
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    ~Timer() { cancel(); }

    // (Re)arms the timer to fire at `deadline`.
    void arm(TimerQueue& queue, Clock::time_point deadline);
    void arm_after(TimerQueue& queue, Clock::duration timeout);
    void cancel() noexcept;
    bool armed() const noexcept { return queue_ != nullptr; }
    Clock::time_point deadline() const noexcept { return deadline_; }

  private:
    friend class TimerQueue;
    std::function<void()> on_expiry_;
    TimerQueue* queue_ = nullptr;
    Timer* prev_ = nullptr;
    Timer* next_ = nullptr;
    Clock::time_point deadline_{};
    std::uint64_t armed_in_run_ = 0;  // TimerQueue::runs_ when it was armed
};

class TimerQueue {
  public:
    TimerQueue() = default;
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;
    ~TimerQueue();

    // Milliseconds until the earliest deadline (for epoll_wait), -1 when there is none.
    int next_timeout_ms() const noexcept;
    // Fires every timer whose deadline had passed when it was called. A callback may arm or cancel
    // any timer; a timer armed during the run waits for the next run even if it is already due, so
    // a callback that re-arms its own timer for "now" cannot keep the loop from polling.
    void run_expired();

    Clock::time_point now() const noexcept { return now_; }
    void update_now() noexcept { now_ = Clock::now(); }

  private:
    friend class Timer;
    void insert(Timer& timer) noexcept;
    void unlink(Timer& timer) noexcept;

    Timer* head_ = nullptr;
    Timer* tail_ = nullptr;
    Clock::time_point now_ = Clock::now();
    std::uint64_t runs_ = 0;  // run_expired() calls so far
};

}  // namespace cgikit::net
