#pragma once
// SocketAddress: an IPv4 or IPv6 address with port, parsed from and printed as "1.2.3.4:80" or
// "[::1]:80" (RFC 3986 §3.2.2 brackets for IPv6 literals).
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cgikit::net {

class SocketAddress {
  public:
    SocketAddress() = default;

    // "127.0.0.1:8080", "[::1]:8080", "[::]:0". No name resolution; nullopt when malformed.
    static std::optional<SocketAddress> parse(std::string_view text);
    static SocketAddress from_sockaddr(const sockaddr* sa, socklen_t len);
    // The local / remote address of a connected or bound socket.
    static std::optional<SocketAddress> local_of(int fd);
    static std::optional<SocketAddress> peer_of(int fd);

    int family() const noexcept { return storage_.ss_family; }
    std::uint16_t port() const noexcept;
    void set_port(std::uint16_t port) noexcept;
    // The address alone, without brackets ("::1", "127.0.0.1"): what CGI's REMOTE_ADDR wants.
    std::string host() const;
    // "127.0.0.1:8080" or "[::1]:8080".
    std::string to_string() const;

    const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t size() const noexcept { return length_; }

  private:
    sockaddr_storage storage_{};
    socklen_t length_ = 0;
};

}  // namespace cgikit::net
