#pragma once
// What the four concurrency models share: the options, serving one stream client with blocking
// calls, answering one datagram, and the few things every accept loop must handle.
#include <cerrno>
#include <chrono>
#include <concepts>
#include <string_view>
#include <system_error>

#include "net/socket.hpp"

namespace cgikit::examples {

struct ServerOptions {
    // A client silent for this long is disconnected. Without it one idle client would hold a
    // thread, a process or - in the iterative model - the whole server for ever.
    std::chrono::milliseconds idle_timeout{30'000};
    // At most this many clients at once in the threads and fork models (a thread or a process
    // each, so this bounds memory and the process table); the next ones wait in the backlog.
    int max_clients = 1024;
    // Threads or processes that read the one UDP socket in the threads and fork models.
    int datagram_workers = 2;
};

// A listening stream socket (net::TcpListener, net::UnixListener): what a model accepts from.
template <class Listener>
concept StreamListener = requires(Listener& listener) {
    requires std::derived_from<decltype(listener.accept().value), net::StreamSocket>;
    { listener.fd() } -> std::same_as<int>;
};

// "timestamp_server: <what>: <reason>" on stderr.
void report(std::string_view what, std::error_code ec);
// errno as an error code.
inline std::error_code last_error() noexcept {
    return {errno, std::system_category()};
}

// Called when accept() fails. Most failures concern one connection (the client gave up before we
// accepted it) and the loop goes on; when the process is out of descriptors or memory, accepting
// again at once would fail again at once, so this waits a little first.
void after_accept_error(std::error_code ec);

// Serves one client with blocking calls until it hangs up, breaks the protocol or stays idle for
// options.idle_timeout: the whole of the iterative, threads and fork models' per-client work.
void serve_client(net::StreamSocket& client, const ServerOptions& options);

// Receives one datagram and answers it (a blocking socket waits for one; a non-blocking one
// fails with operation_would_block, which is returned). Other failures concern that datagram
// only and are reported.
std::error_code answer_datagram(net::UdpSocket& socket);

}  // namespace cgikit::examples
