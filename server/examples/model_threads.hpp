#pragma once
// The threads model: a thread per client. The code stays as plain as the iterative model's -
// blocking calls, one client in view - and clients no longer wait for each other. Each client
// costs a thread (a stack, a kernel task) for as long as it stays connected, busy or idle.
#include <semaphore>
#include <system_error>
#include <thread>
#include <vector>

#include "serving.hpp"

namespace cgikit::examples {

template <StreamListener Listener>
int serve_with_threads(Listener& listener, const ServerOptions& options) {
    // Outlives every client thread: this function never returns.
    std::counting_semaphore<> free_slots(options.max_clients);
    for (;;) {
        free_slots.acquire();  // at max_clients, stop accepting until a client leaves
        auto [client, ec] = listener.accept();
        if (ec) {
            free_slots.release();
            after_accept_error(ec);
            continue;
        }
        // The thread owns the connection. It is detached: nobody needs to wait for a client.
        auto serve = [&free_slots, &options, client = std::move(client)]() mutable {
            serve_client(client, options);
            client.close();
            free_slots.release();
        };
        try {
            std::thread(std::move(serve)).detach();
        } catch (const std::system_error& error) {  // no thread to be had: this client is let go
            report("thread", error.code());
            free_slots.release();
        }
    }
}

inline int serve_with_threads(net::UdpSocket& socket, const ServerOptions& options) {
    // Datagrams come with no connection to hand to a thread. Instead a few threads take turns at
    // the one socket, and the kernel gives each datagram to one of them.
    std::vector<std::jthread> workers;
    for (int i = 1; i < options.datagram_workers; ++i) {
        try {
            workers.emplace_back([&socket] {
                for (;;)
                    (void)answer_datagram(socket);
            });
        } catch (const std::system_error& error) {  // carry on with the threads we have
            report("thread", error.code());
            break;
        }
    }
    for (;;)
        (void)answer_datagram(socket);  // this thread is a worker too
}

}  // namespace cgikit::examples
