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

std::vector<unique_fd> open_listener_group(SocketAddress address, int count,
                                           std::error_code& error) {
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
