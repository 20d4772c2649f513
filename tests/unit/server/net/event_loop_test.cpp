// EventLoop: edge-triggered epoll dispatch, timers driven by the loop, stop() from a handler,
// after_batch, and deferred destruction of handlers (an event already fetched for a handler that
// went away must still find it alive).
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/event_loop.hpp"
#include "net/timer.hpp"
#include "net/unique_fd.hpp"

using cgikit::net::Clock;
using cgikit::net::EventHandler;
using cgikit::net::EventLoop;
using cgikit::net::Timer;
using cgikit::net::unique_fd;
using namespace std::chrono_literals;

namespace {

struct Pipe {
    unique_fd read, write;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
        read.reset(fds[0]);
        write.reset(fds[1]);
    }
    void put(const char* text = "x") const {
        REQUIRE(::write(write.get(), text, std::char_traits<char>::length(text)) > 0);
    }
    std::size_t drain() const {
        char buf[256];
        std::size_t total = 0;
        ssize_t n;
        while ((n = ::read(read.get(), buf, sizeof buf)) > 0)
            total += static_cast<std::size_t>(n);
        return total;
    }
};

// A handler that runs a function for each event.
class FunctionHandler final : public EventHandler {
  public:
    explicit FunctionHandler(std::function<void(std::uint32_t)> fn) : fn_(std::move(fn)) {}
    void on_events(std::uint32_t events) override { fn_(events); }

  private:
    std::function<void(std::uint32_t)> fn_;
};

// Stops the loop after `timeout` in case the behaviour under test never does (a failing test
// must not hang).
struct Watchdog {
    Timer timer;
    bool fired = false;
    Watchdog(EventLoop& loop, Clock::duration timeout)
        : timer([this, &loop] {
              fired = true;
              loop.stop();
          }) {
        loop.timers().update_now();
        timer.arm_after(loop.timers(), timeout);
    }
};

}  // namespace

TEST_CASE("a readable fd is dispatched to its handler with EPOLLIN", "[event_loop]") {
    EventLoop loop;
    Pipe pipe;
    std::uint32_t seen = 0;
    std::size_t bytes = 0;
    FunctionHandler handler([&](std::uint32_t events) {
        seen = events;
        bytes = pipe.drain();
        loop.stop();
    });
    REQUIRE(loop.add(pipe.read.get(), EPOLLIN, &handler));
    pipe.put("hello");
    Watchdog watchdog(loop, 2s);
    loop.run();
    CHECK_FALSE(watchdog.fired);
    CHECK((seen & EPOLLIN) != 0);
    CHECK(bytes == 5);
}

TEST_CASE("registration is edge-triggered", "[event_loop]") {
    // An fd that stays readable is reported once per new edge, not on every wait.
    EventLoop loop;
    Pipe pipe;
    int calls = 0;
    FunctionHandler handler([&](std::uint32_t) { ++calls; });  // never drains
    REQUIRE(loop.add(pipe.read.get(), EPOLLIN, &handler));
    pipe.put();
    Timer second_write([&] { pipe.put(); });
    Timer stop([&] { loop.stop(); });
    loop.timers().update_now();
    second_write.arm_after(loop.timers(), 30ms);
    stop.arm_after(loop.timers(), 120ms);
    loop.run();
    CHECK(calls == 2);  // the first write and the second; not once per loop iteration
}

TEST_CASE("add refuses a bad fd and a duplicate registration", "[event_loop]") {
    EventLoop loop;
    Pipe pipe;
    FunctionHandler handler([](std::uint32_t) {});
    CHECK_FALSE(loop.add(-1, EPOLLIN, &handler));
    REQUIRE(loop.add(pipe.read.get(), EPOLLIN, &handler));
    CHECK_FALSE(loop.add(pipe.read.get(), EPOLLIN, &handler));
    CHECK_FALSE(loop.modify(pipe.write.get(), EPOLLOUT, &handler));  // not registered
}

TEST_CASE("modify changes the handler and the event mask", "[event_loop]") {
    EventLoop loop;
    Pipe pipe;
    int first = 0, second = 0;
    FunctionHandler a([&](std::uint32_t) { ++first; });
    FunctionHandler b([&](std::uint32_t events) {
        ++second;
        CHECK((events & EPOLLOUT) != 0);
        loop.stop();
    });
    REQUIRE(loop.add(pipe.write.get(), EPOLLIN, &a));  // a pipe's write end is never readable
    REQUIRE(loop.modify(pipe.write.get(), EPOLLOUT, &b));
    Watchdog watchdog(loop, 2s);
    loop.run();
    CHECK_FALSE(watchdog.fired);
    CHECK(first == 0);
    CHECK(second == 1);
}

TEST_CASE("a removed fd is no longer dispatched", "[event_loop]") {
    EventLoop loop;
    Pipe pipe;
    int calls = 0;
    FunctionHandler handler([&](std::uint32_t) { ++calls; });
    REQUIRE(loop.add(pipe.read.get(), EPOLLIN, &handler));
    loop.remove(pipe.read.get());
    loop.remove(pipe.read.get());  // twice is harmless
    pipe.put();
    Timer stop([&] { loop.stop(); });
    loop.timers().update_now();
    stop.arm_after(loop.timers(), 50ms);
    loop.run();
    CHECK(calls == 0);
}

TEST_CASE("timers run on the loop, in order, and can stop it", "[event_loop]") {
    EventLoop loop;
    std::vector<int> order;
    Timer later([&] {
        order.push_back(2);
        loop.stop();
    });
    Timer sooner([&] { order.push_back(1); });
    loop.timers().update_now();
    auto start = Clock::now();
    later.arm_after(loop.timers(), 60ms);
    sooner.arm_after(loop.timers(), 20ms);
    loop.run();  // nothing else to wait for: epoll_wait must time out for the timers
    auto elapsed = Clock::now() - start;
    CHECK(order == std::vector<int>{1, 2});
    CHECK(elapsed >= 55ms);
    CHECK(elapsed < 2s);
}

TEST_CASE("after_batch runs after each batch of events", "[event_loop]") {
    EventLoop loop;
    Pipe pipe;
    std::vector<std::string> log;
    FunctionHandler handler([&](std::uint32_t) {
        pipe.drain();
        log.push_back("event");
    });
    REQUIRE(loop.add(pipe.read.get(), EPOLLIN, &handler));
    pipe.put();
    Timer stop([&] {
        log.push_back("timer");
        loop.stop();
    });
    loop.timers().update_now();
    stop.arm_after(loop.timers(), 30ms);
    loop.run([&] { log.push_back("batch"); });
    REQUIRE(log.size() >= 4);
    CHECK(log.front() == "event");
    CHECK(log[1] == "batch");
    CHECK(log.back() == "batch");  // also after the batch in which stop() was called
    CHECK(std::find(log.begin(), log.end(), "timer") != log.end());
}

TEST_CASE("a handler destroyed mid-batch still receives its already-fetched event",
          "[event_loop]") {
    // One handler on two ready fds: the first event makes it go away (defer_destroy); the second
    // event of the same batch still reaches it, and it is deleted after the batch.
    EventLoop loop;
    Pipe one, two;
    int events = 0;
    bool destroyed = false;
    class SelfDestroying final : public EventHandler {
      public:
        SelfDestroying(EventLoop& loop, int& events, bool& destroyed)
            : loop_(loop), events_(events), destroyed_(destroyed) {}
        ~SelfDestroying() override { destroyed_ = true; }
        void on_events(std::uint32_t) override {
            CHECK_FALSE(destroyed_);
            if (++events_ == 1) loop_.defer_destroy(std::move(self));
        }
        std::unique_ptr<EventHandler> self;

      private:
        EventLoop& loop_;
        int& events_;
        bool& destroyed_;
    };
    auto handler = std::make_unique<SelfDestroying>(loop, events, destroyed);
    SelfDestroying* raw = handler.get();
    raw->self = std::move(handler);
    REQUIRE(loop.add(one.read.get(), EPOLLIN, raw));
    REQUIRE(loop.add(two.read.get(), EPOLLIN, raw));
    one.put();
    two.put();
    FunctionHandler stopper([&](std::uint32_t) { loop.stop(); });
    Pipe stop_pipe;
    REQUIRE(loop.add(stop_pipe.read.get(), EPOLLIN, &stopper));
    bool destroyed_after_first_batch = false;
    loop.run([&] {
        if (!destroyed_after_first_batch && events > 0) {
            destroyed_after_first_batch = true;
            stop_pipe.put();
        }
    });
    CHECK(events == 2);
    CHECK(destroyed);
}

TEST_CASE("handlers left for destruction when the loop stops are destroyed", "[event_loop]") {
    bool destroyed = false;
    struct Flag final : EventHandler {
        bool& destroyed;
        explicit Flag(bool& d) : destroyed(d) {}
        ~Flag() override { destroyed = true; }
        void on_events(std::uint32_t) override {}
    };
    {
        EventLoop loop;
        Timer stop([&] {
            loop.defer_destroy(std::make_unique<Flag>(destroyed));
            loop.stop();
        });
        loop.timers().update_now();
        stop.arm_after(loop.timers(), 1ms);
        loop.run();
        CHECK(destroyed);
    }
}

TEST_CASE("the epoll descriptor is close-on-exec", "[event_loop]") {
    // Every server fd is CLOEXEC so CGI children inherit none of them.
    int before = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(before >= 0);
    ::close(before);
    EventLoop loop;
    // The loop's epoll fd is the lowest free descriptor, which `before` just was.
    char target[64] = {};
    std::string link = "/proc/self/fd/" + std::to_string(before);
    REQUIRE(::readlink(link.c_str(), target, sizeof target - 1) > 0);
    REQUIRE(std::string(target) == "anon_inode:[eventpoll]");
    int flags = ::fcntl(before, F_GETFD);
    REQUIRE(flags >= 0);
    CHECK((flags & FD_CLOEXEC) != 0);
}
