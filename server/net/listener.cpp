#include "net/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

namespace cgikit::net {

unique_fd open_listener(const SocketAddress& address, std::error_code& error) {
    unique_fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        error = {errno, std::system_category()};
        return {};
    }
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Responses leave in one send, so Nagle would only delay them. Set on the listener, it is
    // inherited by every accepted socket (Linux): no setsockopt(2) per connection.
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        (address.family() == AF_INET6 &&
         ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        ::bind(fd.get(), address.data(), address.size()) != 0 ||
        ::listen(fd.get(), kListenBacklog) != 0) {
        error = {errno, std::system_category()};
        return {};
    }
    return fd;
}

bool address_is_free(const SocketAddress& address, std::error_code& error) {
    unique_fd probe(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) {
        error = {errno, std::system_category()};
        return false;
    }
    int one = 1;
    // SO_REUSEADDR like the real listeners, so a port left in TIME_WAIT by our previous run is
    // free; it does not let us bind over a socket that is bound or listening.
    ::setsockopt(probe.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if ((address.family() == AF_INET6 &&
         ::setsockopt(probe.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        ::bind(probe.get(), address.data(), address.size()) != 0) {
        error = {errno, std::system_category()};
        return false;
    }
    return true;  // the probe is closed here, before the group binds
}

std::vector<unique_fd> open_listener_group(SocketAddress address, int count,
                                           std::error_code& error) {
    // SO_REUSEPORT lets any socket of the same user join a bound group, so a second cgikitd on a
    // busy port would bind "successfully" and take a share of the first one's connections. A
    // probe bound without SO_REUSEPORT fails with EADDRINUSE while anyone holds the address.
    // (Port 0 needs no probe: the kernel picks a port nobody holds.) A race remains: another
    // process may bind between the probe's close and our first bind; with SO_REUSEPORT it could
    // then still join the group. Closing it would need the first listener to be bound without
    // SO_REUSEPORT, which the per-worker group cannot do; the window is a few microseconds.
    if (address.port() != 0 && !address_is_free(address, error)) return {};
    std::vector<unique_fd> group;
    for (int i = 0; i < count; ++i) {
        unique_fd fd = open_listener(address, error);
        if (!fd) return {};
        if (i == 0 && address.port() == 0) {
            auto bound = SocketAddress::local_of(fd.get());
            if (!bound) {
                error = {errno, std::system_category()};
                return {};
            }
            address.set_port(bound->port());
        }
        group.push_back(std::move(fd));
    }
    return group;
}

}  // namespace cgikit::net
