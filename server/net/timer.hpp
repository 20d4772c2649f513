#pragma once
// Timers for one event loop. A Timer is an intrusive node owned by whoever needs the timeout (a
// connection, a CGI exchange); destroying it cancels it. Every timer in this server is "now + one
// of a few fixed timeouts" (header_read, keep_alive, send, the CGI ones...), so the queue keeps one
// list per timeout length: within a list deadlines arrive in order, the insert point is the tail,
// and arming, re-arming and cancelling are O(1) without allocation, however many timers of other
// lengths are pending. (One list for all was O(n) per arm: a 30 s CGI timeout walked back past
// 10,000 idle connections' later keep-alive deadlines.)
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace cgikit::net {

using Clock = std::chrono::steady_clock;

class Timer;
class TimerQueue;

// One list of timers sorted by deadline (TimerQueue's, for one timeout length).
struct TimerLane {
    Clock::duration length{};
    Timer* head = nullptr;
    Timer* tail = nullptr;
};

class Timer {
  public:
    explicit Timer(std::function<void()> on_expiry) : on_expiry_(std::move(on_expiry)) {}
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    ~Timer() { cancel(); }

    // (Re)arms the timer to fire at `deadline` (any order: a sorted insert).
    void arm(TimerQueue& queue, Clock::time_point deadline);
    // (Re)arms the timer to fire `timeout` after the queue's now(): O(1) for a timeout length
    // the queue has seen before.
    void arm_after(TimerQueue& queue, Clock::duration timeout);
    void cancel() noexcept;
    bool armed() const noexcept { return queue_ != nullptr; }
    Clock::time_point deadline() const noexcept { return deadline_; }

  private:
    friend class TimerQueue;
    std::function<void()> on_expiry_;
    TimerQueue* queue_ = nullptr;
    TimerLane* lane_ = nullptr;
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
    // The list for timers armed with `length`; kAbsolute for arm(deadline). Lanes beyond
    // kMaxLanes share the last one (still correct, inserts may walk).
    TimerLane& lane_for(Clock::duration length);
    void insert(Timer& timer, TimerLane& lane) noexcept;
    void unlink(Timer& timer) noexcept;
    // The earliest timer due to fire in this run, or nullptr.
    Timer* next_due(std::uint64_t run) const noexcept;

    static constexpr Clock::duration kAbsolute = Clock::duration::min();
    // Distinct timeout lengths in use: a dozen in cgikitd; the bound keeps a caller that computes
    // its timeouts from growing the lanes without limit.
    static constexpr std::size_t kMaxLanes = 32;
    TimerLane lanes_[kMaxLanes];  // the first lane_count_ in use; timers point at their lane
    std::size_t lane_count_ = 0;
    Clock::time_point now_ = Clock::now();
    std::uint64_t runs_ = 0;  // run_expired() calls so far
};

}  // namespace cgikit::net
