#pragma once
// UnixAddress: the address of a Unix-domain socket (unix(7)). Three kinds exist on Linux:
//   - a filesystem path ("/run/app.sock"): a socket file that bind() creates and nobody removes;
//   - an abstract name (Linux only, no file, vanishes with the last socket), written "@name";
//   - unnamed: a socket that was never bound (a connect()ing client, one end of a socketpair).
// Kept apart from SocketAddress so that a TCP socket can never be handed a path by mistake.
#include <sys/socket.h>
#include <sys/un.h>

#include <optional>
#include <string>
#include <string_view>

namespace cgikit::net {

class UnixAddress {
  public:
    // sun_path is 108 bytes on Linux; a path needs its terminating NUL, an abstract name its
    // leading one, so both are limited to 107 bytes.
    static constexpr std::size_t max_name_bytes = sizeof(sockaddr_un::sun_path) - 1;

    // The unnamed address. Binding a socket to it asks the kernel for a fresh abstract name
    // ("autobind"), which is how a datagram client gets an address its server can reply to.
    UnixAddress() noexcept;

    // nullopt when `path` is empty, too long or holds a NUL byte.
    static std::optional<UnixAddress> from_path(std::string_view path);
    // An abstract-namespace name (given without the leading NUL); nullopt when too long. The name
    // may be empty only in the sense of "unnamed", so an empty name is rejected too.
    static std::optional<UnixAddress> abstract(std::string_view name);
    // "@name" is abstract, anything else a path: the notation ss(8) and systemd use.
    static std::optional<UnixAddress> parse(std::string_view text);

    static UnixAddress from_sockaddr(const sockaddr* sa, socklen_t len) noexcept;
    // The local / remote address of a Unix-domain socket; nullopt if fd is not one.
    static std::optional<UnixAddress> local_of(int fd);
    static std::optional<UnixAddress> peer_of(int fd);

    bool is_unnamed() const noexcept;
    bool is_abstract() const noexcept;
    // The filesystem path, or the abstract name without its NUL; empty when unnamed.
    std::string name() const;
    // The path as is, "@name" when abstract, "(unnamed)" when unnamed.
    std::string to_string() const;

    const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&address_); }
    socklen_t size() const noexcept { return length_; }

    friend bool operator==(const UnixAddress& a, const UnixAddress& b) noexcept;

  private:
    sockaddr_un address_{};
    socklen_t length_ = 0;
};

}  // namespace cgikit::net
