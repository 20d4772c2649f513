#pragma once
// The event model: one thread, one epoll instance, and every client a small record of its state.
// No call ever waits: the loop asks the kernel which sockets are ready and, for each, does only
// what can be done at once. An idle client costs a few hundred bytes instead of a thread or a
// process - but the code must keep each client's state itself (here: its unfinished line and
// the replies it has not read yet), which the blocking models kept on their stacks for free.
#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "net/unique_fd.hpp"
#include "serving.hpp"
#include "timestamp_protocol.hpp"

namespace cgikit::examples {

namespace event_model {

using Clock = std::chrono::steady_clock;

// Unsent replies beyond which a client's requests are no longer read: back-pressure, so that a
// client that sends without reading cannot make the server buffer without bound.
inline constexpr std::size_t max_unsent_bytes = 64 * 1024;

struct Client {
    net::StreamSocket socket;
    TimestampSession session;
    std::string unsent;         // replies the socket could not take yet
    bool closing = false;       // broke the protocol: close once `unsent` is out
    std::uint32_t watched = 0;  // the events epoll reports for it
    Clock::time_point last_active;
};

// Level-triggered registrations: epoll reports a socket for as long as it is ready, so a handler
// may do part of the work and leave the rest for the next round.
inline bool watch(int epoll, int op, int fd, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    return ::epoll_ctl(epoll, op, fd, &event) == 0;
}

inline std::uint32_t wanted_events(const Client& client) {
    std::uint32_t events = 0;
    if (!client.closing && client.unsent.size() < max_unsent_bytes) events |= EPOLLIN;
    if (!client.unsent.empty()) events |= EPOLLOUT;
    return events;
}

// One read and one write at most, as far as they go without waiting. False when the client is
// done: it hung up, failed, or broke the protocol and has been sent the error.
inline bool handle(Client& client, std::uint32_t events) {
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !client.closing) {
        std::array<char, 4096> buffer;
        auto [received, ec] = client.socket.recv(buffer);
        if (!ec) {
            if (received == 0) return false;  // end of stream
            client.closing = !client.session.feed({buffer.data(), received}, client.unsent);
        } else if (ec != std::errc::operation_would_block) {
            return false;
        }
    }
    if (!client.unsent.empty()) {
        auto [sent, ec] = client.socket.send(client.unsent);
        if (ec && ec != std::errc::operation_would_block) return false;
        client.unsent.erase(0, sent);
    }
    return !(client.closing && client.unsent.empty());
}

// Every client's record, by descriptor, and the epoll registrations that go with them.
class Clients {
  public:
    Clients(int epoll, const ServerOptions& options) : epoll_(epoll), options_(options) {}

    // Takes every connection waiting on the non-blocking `listener`.
    template <StreamListener Listener>
    void accept_all(Listener& listener, Clock::time_point now) {
        for (;;) {
            auto [client, ec] = listener.accept();
            if (ec == std::errc::operation_would_block) return;
            if (ec) {
                after_accept_error(ec);
                return;
            }
            const int fd = client.fd();
            if (client.set_nonblocking(true) || !watch(epoll_, EPOLL_CTL_ADD, fd, EPOLLIN)) {
                continue;  // the connection closes with `client`
            }
            records_.insert_or_assign(fd, Client{std::move(client), {}, {}, false, EPOLLIN, now});
        }
    }

    void on_ready(int fd, std::uint32_t events, Clock::time_point now) {
        // A descriptor closed earlier in this batch of events may already belong to a new client;
        // the stale event then costs one read that would block, nothing worse.
        const auto found = records_.find(fd);
        if (found == records_.end()) return;
        Client& client = found->second;
        client.last_active = now;
        if (!handle(client, events)) {
            close(found);
        } else if (const auto wanted = wanted_events(client); wanted != client.watched) {
            watch(epoll_, EPOLL_CTL_MOD, fd, wanted);
            client.watched = wanted;
        }
    }

    void close_idle(Clock::time_point now) {
        for (auto position = records_.begin(); position != records_.end();) {
            const bool idle = now - position->second.last_active >= options_.idle_timeout;
            position = idle ? close(position) : std::next(position);
        }
    }

  private:
    using Records = std::unordered_map<int, Client>;

    Records::iterator close(Records::iterator position) {
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, position->first, nullptr);
        return records_.erase(position);  // the socket closes with its record
    }

    int epoll_;
    const ServerOptions& options_;
    Records records_;
};

}  // namespace event_model

template <StreamListener Listener>
int serve_with_events(Listener& listener, const ServerOptions& options) {
    using event_model::Clock;
    const net::unique_fd epoll{::epoll_create1(EPOLL_CLOEXEC)};
    if (!epoll) {
        report("epoll_create1", last_error());
        return 1;
    }
    // accept() must never wait, or the loop - every client - would stall.
    if (auto ec = listener.set_nonblocking(true)) {
        report("listener", ec);
        return 1;
    }
    if (!event_model::watch(epoll.get(), EPOLL_CTL_ADD, listener.fd(), EPOLLIN)) {
        report("epoll_ctl", last_error());
        return 1;
    }
    event_model::Clients clients(epoll.get(), options);
    // Idle clients are looked for a few times per idle timeout, not on every event.
    const auto sweep_interval = std::max(options.idle_timeout / 4, std::chrono::milliseconds{1});
    auto next_sweep = Clock::now() + sweep_interval;
    std::array<epoll_event, 256> ready;
    for (;;) {
        const auto until_sweep =
            std::chrono::ceil<std::chrono::milliseconds>(next_sweep - Clock::now()).count();
        const int count = ::epoll_wait(epoll.get(), ready.data(), static_cast<int>(ready.size()),
                                       static_cast<int>(std::max<long long>(until_sweep, 0)));
        if (count < 0 && errno != EINTR) {
            report("epoll_wait", last_error());
            return 1;
        }
        const auto now = Clock::now();
        for (int i = 0; i < count; ++i) {
            if (ready[i].data.fd == listener.fd()) {
                clients.accept_all(listener, now);
            } else {
                clients.on_ready(ready[i].data.fd, ready[i].events, now);
            }
        }
        if (now >= next_sweep) {
            clients.close_idle(now);
            next_sweep = now + sweep_interval;
        }
    }
}

inline int serve_with_events(net::UdpSocket& socket, const ServerOptions&) {
    // One socket leaves nothing to multiplex, but the shape is the same: wait until the kernel
    // says the socket is ready, then drain it without waiting.
    const net::unique_fd epoll{::epoll_create1(EPOLL_CLOEXEC)};
    if (!epoll) {
        report("epoll_create1", last_error());
        return 1;
    }
    if (auto ec = socket.set_nonblocking(true)) {
        report("socket", ec);
        return 1;
    }
    if (!event_model::watch(epoll.get(), EPOLL_CTL_ADD, socket.fd(), EPOLLIN)) {
        report("epoll_ctl", last_error());
        return 1;
    }
    for (;;) {
        epoll_event event;
        if (::epoll_wait(epoll.get(), &event, 1, -1) < 0 && errno != EINTR) {
            report("epoll_wait", last_error());
            return 1;
        }
        while (!answer_datagram(socket)) {
        }
    }
}

}  // namespace cgikit::examples
