// TimerQueue / Timer: deadlines fire in order, cancel and re-arm work from anywhere (including
// inside callbacks), and destroying a timer cancels it. Deadlines are placed far in the past or
// far in the future so no test depends on the clock's speed.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "net/timer.hpp"

using cgikit::net::Clock;
using cgikit::net::Timer;
using cgikit::net::TimerQueue;
using namespace std::chrono_literals;

namespace {

// A point in time every run_expired() sees as passed (smaller offsets are earlier). One base
// instant for the whole run, so the order of deadlines never depends on how fast a test arms them.
Clock::time_point past(int offset_ms) {
    static const Clock::time_point base = Clock::now() - 10s;
    return base + std::chrono::milliseconds(offset_ms);
}
Clock::time_point future() {
    return Clock::now() + 1h;
}

}  // namespace

TEST_CASE("an empty queue has no timeout", "[timer]") {
    TimerQueue queue;
    CHECK(queue.next_timeout_ms() == -1);
    queue.run_expired();  // nothing to do
}

TEST_CASE("expired timers fire in deadline order, whatever the arming order", "[timer]") {
    TimerQueue queue;
    std::string fired;
    Timer c([&] { fired += 'c'; });
    Timer a([&] { fired += 'a'; });
    Timer d([&] { fired += 'd'; });
    Timer b([&] { fired += 'b'; });
    c.arm(queue, past(30));
    a.arm(queue, past(10));
    d.arm(queue, past(40));
    b.arm(queue, past(20));
    queue.run_expired();
    CHECK(fired == "abcd");
    CHECK_FALSE(a.armed());
    CHECK_FALSE(d.armed());
    CHECK(queue.next_timeout_ms() == -1);
}

TEST_CASE("equal deadlines fire in arming order", "[timer]") {
    TimerQueue queue;
    std::string fired;
    auto when = past(0);
    Timer a([&] { fired += 'a'; });
    Timer b([&] { fired += 'b'; });
    Timer c([&] { fired += 'c'; });
    a.arm(queue, when);
    b.arm(queue, when);
    c.arm(queue, when);
    queue.run_expired();
    CHECK(fired == "abc");
}

TEST_CASE("only expired timers fire", "[timer]") {
    TimerQueue queue;
    int early = 0, late = 0;
    Timer due([&] { ++early; });
    Timer later([&] { ++late; });
    later.arm(queue, future());
    due.arm(queue, past(0));
    queue.run_expired();
    CHECK(early == 1);
    CHECK(late == 0);
    CHECK(later.armed());
    queue.run_expired();
    CHECK(early == 1);  // a timer fires once
}

TEST_CASE("next_timeout_ms reports the earliest deadline", "[timer]") {
    TimerQueue queue;
    Timer far([] {});
    Timer near([] {});
    far.arm(queue, Clock::now() + 50s);
    CHECK(queue.next_timeout_ms() > 40'000);
    CHECK(queue.next_timeout_ms() <= 50'000);
    near.arm(queue, Clock::now() + 2s);
    CHECK(queue.next_timeout_ms() > 1'000);
    CHECK(queue.next_timeout_ms() <= 2'000);
    near.arm(queue, past(0));
    CHECK(queue.next_timeout_ms() == 0);
    near.cancel();
    Timer very_far([] {});
    far.cancel();
    very_far.arm(queue, Clock::now() + 24h);
    CHECK(queue.next_timeout_ms() == 60'000);  // capped: epoll_wait takes an int
}

TEST_CASE("a timer just in the future rounds up, never down to a busy loop", "[timer]") {
    TimerQueue queue;
    Timer t([] {});
    t.arm(queue, Clock::now() + 100us);
    int ms = queue.next_timeout_ms();
    CHECK((ms == 0 || ms == 1));
}

TEST_CASE("cancel, re-arm and destruction", "[timer]") {
    TimerQueue queue;
    int fired = 0;
    Timer t([&] { ++fired; });
    CHECK_FALSE(t.armed());
    t.cancel();  // cancelling an idle timer is harmless
    t.arm(queue, past(0));
    CHECK(t.armed());
    t.cancel();
    CHECK_FALSE(t.armed());
    queue.run_expired();
    CHECK(fired == 0);

    t.arm(queue, future());
    t.arm(queue, past(0));  // re-arming moves it, it is not queued twice
    CHECK(t.deadline() < Clock::now());
    queue.run_expired();
    CHECK(fired == 1);

    {
        Timer gone([&] { fired += 100; });
        gone.arm(queue, past(0));
    }  // destroyed while armed: cancelled
    queue.run_expired();
    CHECK(fired == 1);
    CHECK(queue.next_timeout_ms() == -1);
}

TEST_CASE("arm_after counts from the queue's notion of now", "[timer]") {
    TimerQueue queue;
    queue.update_now();
    Timer t([] {});
    t.arm_after(queue, 5s);
    CHECK(t.deadline() == queue.now() + 5s);
}

TEST_CASE("a callback may re-arm its own timer", "[timer]") {
    TimerQueue queue;
    int fired = 0;
    std::unique_ptr<Timer> t;
    t = std::make_unique<Timer>([&] {
        ++fired;
        t->arm(queue, future());
    });
    t->arm(queue, past(0));
    queue.run_expired();
    CHECK(fired == 1);
    CHECK(t->armed());
    CHECK(queue.next_timeout_ms() > 0);
}

TEST_CASE("a callback may cancel another timer that is also due", "[timer]") {
    TimerQueue queue;
    std::string fired;
    Timer second([&] { fired += '2'; });
    Timer first([&] {
        fired += '1';
        second.cancel();
    });
    first.arm(queue, past(0));
    second.arm(queue, past(1));
    queue.run_expired();
    CHECK(fired == "1");
    CHECK_FALSE(second.armed());
}

TEST_CASE("a callback may arm another timer, due or not", "[timer]") {
    TimerQueue queue;
    std::string fired;
    Timer due_now([&] { fired += 'n'; });
    Timer later([&] { fired += 'l'; });
    Timer first([&] {
        fired += 'f';
        later.arm(queue, future());
        due_now.arm(queue, past(0));
    });
    first.arm(queue, past(0));
    queue.run_expired();
    CHECK(fired.substr(0, 1) == "f");
    CHECK(fired.find('l') == std::string::npos);
    CHECK(later.armed());
    queue.run_expired();
    CHECK(fired == "fn");  // the due one fired, in this run or the next
}

TEST_CASE("a callback may destroy its own timer", "[timer]") {
    TimerQueue queue;
    int fired = 0;
    std::unique_ptr<Timer> t;
    t = std::make_unique<Timer>([&] {
        ++fired;
        t.reset();  // the queue must not touch the timer afterwards (ASan would notice)
    });
    Timer after([&] { ++fired; });
    t->arm(queue, past(0));
    after.arm(queue, past(1));
    queue.run_expired();
    CHECK(fired == 2);
    CHECK_FALSE(t);
}

TEST_CASE("a callback may destroy another armed timer", "[timer]") {
    TimerQueue queue;
    int fired = 0;
    auto victim = std::make_unique<Timer>([&] { fired += 100; });
    Timer killer([&] {
        ++fired;
        victim.reset();
    });
    killer.arm(queue, past(0));
    victim->arm(queue, past(1));
    queue.run_expired();
    CHECK(fired == 1);
}

TEST_CASE("a timer re-armed for now inside its callback does not spin run_expired", "[timer]") {
    // run_expired() must end: a callback that re-arms its timer with a zero (or negative) timeout
    // is due again at once; fired again in the same run, it would spin forever (a hung worker). It
    // fires in the next run instead. The bound on re-arming only keeps a failing test from hanging.
    TimerQueue queue;
    int fired = 0;
    std::unique_ptr<Timer> t;
    t = std::make_unique<Timer>([&] {
        if (++fired < 1000) t->arm_after(queue, 0ms);
    });
    t->arm(queue, past(0));
    queue.run_expired();
    CHECK(fired == 1);
    CHECK(t->armed());
    CHECK(queue.next_timeout_ms() == 0);  // due: the event loop comes back at once
    queue.run_expired();
    CHECK(fired == 2);
}

TEST_CASE("many timers armed in random order come out sorted", "[timer]") {
    TimerQueue queue;
    std::vector<int> fired;
    std::vector<std::unique_ptr<Timer>> timers;
    // A fixed permutation of 0..99 (multiplication by 37 modulo 100 is a bijection).
    for (int i = 0; i < 100; ++i) {
        int key = (i * 37) % 100;
        timers.push_back(std::make_unique<Timer>([&fired, key] { fired.push_back(key); }));
        timers.back()->arm(queue, past(key));
    }
    // Cancel every tenth.
    for (int i = 0; i < 100; i += 10)
        timers[static_cast<std::size_t>(i)]->cancel();
    queue.run_expired();
    REQUIRE(fired.size() == 90);
    for (std::size_t i = 1; i < fired.size(); ++i)
        CHECK(fired[i - 1] < fired[i]);
}

TEST_CASE("destroying the queue with armed timers leaves them disarmed", "[timer]") {
    Timer t([] {});
    {
        TimerQueue queue;
        t.arm(queue, future());
    }
    CHECK_FALSE(t.armed());
}

TEST_CASE("timers of different lengths fire in deadline order across lengths", "[timer]") {
    // arm_after keeps a list per timeout length; ordering must hold across the lists, and mixed
    // with absolute deadlines.
    TimerQueue queue;
    std::string fired;
    Timer long_a([&] { fired += 'L'; });
    Timer short_b([&] { fired += 's'; });
    Timer long_c([&] { fired += 'l'; });
    Timer absolute([&] { fired += 'A'; });
    Timer pending([&] { fired += 'P'; });
    long_a.arm_after(queue, -10s);  // due 10 s ago
    short_b.arm_after(queue, -30s);
    long_c.arm_after(queue, -10s);
    absolute.arm(queue, queue.now() - 20s);
    pending.arm_after(queue, 1h);
    queue.run_expired();
    CHECK(fired == "sALl");
    CHECK(pending.armed());
}

TEST_CASE("a short timeout armed behind many longer ones is the next to expire", "[timer]") {
    // 10,000 idle keep-alive timers, then a request's short timeout: the earliest deadline is
    // the short one, and cancelling some of the long ones does not disturb it.
    TimerQueue queue;
    std::vector<std::unique_ptr<Timer>> idle;
    for (int i = 0; i < 10'000; ++i) {
        idle.push_back(std::make_unique<Timer>([] {}));
        idle.back()->arm_after(queue, 1h);
    }
    bool short_fired = false;
    Timer request([&] { short_fired = true; });
    request.arm_after(queue, 100ms);
    CHECK(queue.next_timeout_ms() <= 100);
    idle[5000].reset();
    idle[0]->cancel();
    request.arm_after(queue, -1s);  // re-armed into the past: fires next run, alone
    queue.run_expired();
    CHECK(short_fired);
    CHECK(queue.next_timeout_ms() > 100);
}
