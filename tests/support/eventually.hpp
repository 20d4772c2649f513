#pragma once
// eventually(): for state that another process changes and that gives no event to wait on (its
// /proc entries, its descriptor count, a file it appends to, a log line counted rather than
// found). Where something can be waited on, wait on it instead: TestServer::wait_for_stderr and
// stop(), a socket's poll(), a pidfd.
#include <chrono>
#include <thread>

namespace cgikit::test {

// How long eventually() looks by default: far above any healthy wait (milliseconds, also under
// sanitizers on 2 busy cores), so only a failing test waits it out. TestServer's log waits use
// the same bound.
inline constexpr std::chrono::milliseconds kEventuallyTimeout = std::chrono::seconds(5);
// Between two looks: short against every deadline, long enough not to take a core from the
// process being watched.
inline constexpr std::chrono::milliseconds kEventuallyInterval{5};

// Looks at `condition` until it holds or `timeout` has passed; returns whether it held. The last
// look is at or after the deadline, so a condition that holds then still counts.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = kEventuallyTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(kEventuallyInterval);
    }
}

}  // namespace cgikit::test
