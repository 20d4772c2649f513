#pragma once
// Listening sockets. Each worker owns its own SO_REUSEPORT socket on the same address so the kernel
// spreads connections across workers without a shared accept queue or a lock.
#include <system_error>
#include <vector>

#include "net/socket_address.hpp"
#include "net/unique_fd.hpp"

namespace cgikit::net {

// Listen backlog: the kernel caps it at net.core.somaxconn anyway; ask for plenty so connection
// bursts are queued rather than refused.
constexpr int kListenBacklog = 4096;

// A non-blocking, CLOEXEC listening socket with SO_REUSEADDR and SO_REUSEPORT. IPv6 sockets are
// IPv6-only so "[::]:80" and "0.0.0.0:80" can coexist. TCP_NODELAY is set on it, so accepted
// sockets have it from the start.
unique_fd open_listener(const SocketAddress& address, std::error_code& error);

// True if no socket holds `address` (a bind without SO_REUSEPORT succeeds); else sets `error`
// (EADDRINUSE when another process, even one with SO_REUSEPORT, listens there).
bool address_is_free(const SocketAddress& address, std::error_code& error);

// Opens `count` reuse-port listeners on `address`. With port 0 the first socket picks a free port
// and the others bind to that same port. A nonzero port already held by anyone (another cgikitd
// included) is refused with EADDRINUSE rather than joined. On error, returns an empty vector and
// sets `error`.
std::vector<unique_fd> open_listener_group(SocketAddress address, int count,
                                           std::error_code& error);

}  // namespace cgikit::net
