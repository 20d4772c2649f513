#pragma once
// The iterative model: one client at a time, start to finish, in the only thread there is.
// The simplest server, and the baseline for the others: while it serves one client, every other
// client waits - in the listen backlog, or for UDP in the socket's receive buffer. Only the idle
// timeout stops a silent client from holding everybody up.
#include "serving.hpp"

namespace cgikit::examples {

template <StreamListener Listener>
int serve_iteratively(Listener& listener, const ServerOptions& options) {
    for (;;) {
        auto [client, ec] = listener.accept();
        if (ec) {
            after_accept_error(ec);
            continue;
        }
        serve_client(client, options);
    }  // `client` closes here, at the end of each turn
}

inline int serve_iteratively(net::UdpSocket& socket, const ServerOptions&) {
    // A datagram is a whole request: answering them in turn is the natural UDP server.
    for (;;)
        (void)answer_datagram(socket);
}

}  // namespace cgikit::examples
