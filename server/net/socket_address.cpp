#include "net/socket_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace cgikit::net {

namespace {

// Dotted-quad text of four address bytes in network order. Done by hand: inet_ntop formats IPv4
// with sprintf, which costs more than the rest of accepting a connection.
std::string format_ipv4(const unsigned char* octets) {
    char text[16];  // "255.255.255.255"
    std::size_t length = 0;
    for (int i = 0; i < 4; ++i) {
        if (i > 0) text[length++] = '.';
        const unsigned value = octets[i];
        if (value >= 100) text[length++] = static_cast<char>('0' + value / 100);
        if (value >= 10) text[length++] = static_cast<char>('0' + value / 10 % 10);
        text[length++] = static_cast<char>('0' + value % 10);
    }
    return std::string(text, length);
}

}  // namespace

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
    std::string_view host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
    }
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
        port_text.empty()) {
        return std::nullopt;
    }
    std::string host_z(host);
    SocketAddress out;
    if (text.front() == '[') {
        sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(static_cast<std::uint16_t>(port));
        if (inet_pton(AF_INET6, host_z.c_str(), &sin6.sin6_addr) != 1) return std::nullopt;
        std::memcpy(&out.storage_, &sin6, sizeof sin6);
        out.length_ = sizeof sin6;
    } else {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(static_cast<std::uint16_t>(port));
        if (inet_pton(AF_INET, host_z.c_str(), &sin.sin_addr) != 1) return std::nullopt;
        std::memcpy(&out.storage_, &sin, sizeof sin);
        out.length_ = sizeof sin;
    }
    return out;
}

SocketAddress SocketAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
    SocketAddress out;
    if (len > sizeof out.storage_) len = sizeof out.storage_;
    std::memcpy(&out.storage_, sa, len);
    out.length_ = len;
    return out;
}

std::optional<SocketAddress> SocketAddress::local_of(int fd) {
    SocketAddress out;
    out.length_ = sizeof out.storage_;
    if (::getsockname(fd, out.data(), &out.length_) != 0) return std::nullopt;
    return out;
}

std::optional<SocketAddress> SocketAddress::peer_of(int fd) {
    SocketAddress out;
    out.length_ = sizeof out.storage_;
    if (::getpeername(fd, out.data(), &out.length_) != 0) return std::nullopt;
    return out;
}

std::uint16_t SocketAddress::port() const noexcept {
    if (family() == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (family() == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    }
    return 0;
}

void SocketAddress::set_port(std::uint16_t port) noexcept {
    if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
    if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

std::string SocketAddress::host() const {
    if (family() == AF_INET) {
        return format_ipv4(reinterpret_cast<const unsigned char*>(
            &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr));
    }
    if (family() == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
        // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; report a.b.c.d.
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
            return format_ipv4(&sin6->sin6_addr.s6_addr[12]);
        char buf[INET6_ADDRSTRLEN] = {};
        inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
        return buf;
    }
    return {};
}

std::string SocketAddress::to_string() const {
    if (family() == AF_INET6) return "[" + host() + "]:" + std::to_string(port());
    return host() + ":" + std::to_string(port());
}

}  // namespace cgikit::net
