#include "net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <functional>
#include <string>

namespace cgikit::net {

namespace {

using std::chrono::steady_clock;

std::error_code last_error() noexcept {
    return {errno, std::system_category()};
}

// Waits until `fd` is ready for `events` (or has an error or hang-up the next call will report),
// or `deadline` passes. A signal does not cut the wait short.
std::error_code wait_until_ready(int fd, short events,
                                 std::optional<steady_clock::time_point> deadline) noexcept {
    for (;;) {
        int timeout_ms = -1;
        if (deadline) {
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(*deadline - steady_clock::now());
            timeout_ms = static_cast<int>(std::clamp<long long>(left.count(), 0, INT_MAX));
        }
        pollfd entry{fd, events, 0};
        const int ready = ::poll(&entry, 1, timeout_ms);
        if (ready > 0) return {};
        if (ready == 0) return std::make_error_code(std::errc::timed_out);
        if (errno != EINTR) return last_error();
    }
}

// A new socket of `type`, close-on-exec, and non-blocking when asked.
unique_fd open_socket(int family, int type, bool nonblocking) noexcept {
    return unique_fd{::socket(family, type | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0)};
}

std::error_code set_int_option(int fd, int level, int name, int value) noexcept {
    if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return last_error();
    return {};
}

}  // namespace

// ---- Socket -----------------------------------------------------------------------------------

Socket::Socket(unique_fd fd) noexcept : fd_(std::move(fd)) {
    const int flags = fd_.valid() ? ::fcntl(fd_.get(), F_GETFL) : -1;
    nonblocking_ = fd_nonblocking_ = flags >= 0 && (flags & O_NONBLOCK) != 0;
}

Socket::Socket(unique_fd fd, KnownMode mode) noexcept
    : fd_(std::move(fd)), nonblocking_(mode.nonblocking), fd_nonblocking_(mode.nonblocking) {}

Socket::Deadline Socket::deadline_after(Timeout timeout) noexcept {
    if (!timeout) return std::nullopt;
    return steady_clock::now() + *timeout;
}

template <class Call>
Result<std::size_t> Socket::retry(Call call, short events, Deadline deadline) noexcept {
    for (;;) {
        const auto result = call();
        if (result >= 0) return {static_cast<std::size_t>(result), {}};
        const int error = errno;
        if (error == EINTR) continue;
        // EAGAIN on a socket the owner wants blocking: the descriptor is O_NONBLOCK only to
        // implement a timeout, so wait (boundedly) and try again.
        if ((error != EAGAIN && error != EWOULDBLOCK) || nonblocking_) {
            return {0, {error, std::system_category()}};
        }
        if (auto ec = wait_until_ready(fd(), events, deadline)) return {0, ec};
    }
}

std::error_code Socket::apply_blocking_mode() noexcept {
    const bool wanted = nonblocking_ || read_timeout_ || write_timeout_;
    if (wanted == fd_nonblocking_ || !fd_.valid()) return {};
    int on = wanted ? 1 : 0;
    if (::ioctl(fd_.get(), FIONBIO, &on) != 0) return last_error();
    fd_nonblocking_ = wanted;
    return {};
}

std::error_code Socket::set_nonblocking(bool nonblocking) noexcept {
    nonblocking_ = nonblocking;
    return apply_blocking_mode();
}

std::error_code Socket::set_read_timeout(Timeout timeout) noexcept {
    read_timeout_ = timeout;
    return apply_blocking_mode();
}

std::error_code Socket::set_write_timeout(Timeout timeout) noexcept {
    write_timeout_ = timeout;
    return apply_blocking_mode();
}

std::error_code Socket::set_option(int level, int name, int value) noexcept {
    return set_int_option(fd(), level, name, value);
}

Result<int> Socket::option(int level, int name) const noexcept {
    int value = 0;
    socklen_t length = sizeof value;
    if (::getsockopt(fd(), level, name, &value, &length) != 0) return {0, last_error()};
    return {value, {}};
}

std::error_code Socket::take_error() noexcept {
    auto [pending, ec] = option(SOL_SOCKET, SO_ERROR);
    if (ec) return ec;
    if (pending != 0) return {pending, std::system_category()};
    return {};
}

std::error_code Socket::close() noexcept {
    const int fd = fd_.release();
    // Linux closes the descriptor even when close() fails (EINTR included): never retry.
    if (fd >= 0 && ::close(fd) != 0) return last_error();
    return {};
}

unique_fd Socket::release() noexcept {
    nonblocking_ = fd_nonblocking_ = false;
    read_timeout_.reset();
    write_timeout_.reset();
    return unique_fd{fd_.release()};
}

// ---- StreamSocket -----------------------------------------------------------------------------

Result<std::size_t> StreamSocket::recv(std::span<char> buffer) noexcept {
    return retry([&] { return ::recv(fd(), buffer.data(), buffer.size(), 0); }, POLLIN,
                 deadline_after(read_timeout()));
}

Result<std::size_t> StreamSocket::send(std::string_view data) noexcept {
    return retry([&] { return ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL); }, POLLOUT,
                 deadline_after(write_timeout()));
}

std::error_code StreamSocket::send_all(std::string_view data) noexcept {
    const Deadline deadline = deadline_after(write_timeout());
    while (!data.empty()) {
        auto [sent, ec] =
            retry([&] { return ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL); }, POLLOUT,
                  deadline);
        if (ec) return ec;
        data.remove_prefix(sent);
    }
    return {};
}

std::error_code StreamSocket::shutdown(Shutdown how) noexcept {
    if (::shutdown(fd(), static_cast<int>(how)) != 0) return last_error();
    return {};
}

// ---- TCP --------------------------------------------------------------------------------------

Result<TcpStream> TcpStream::start_connect(const SocketAddress& peer) noexcept {
    TcpStream stream(open_socket(peer.family(), SOCK_STREAM, true), KnownMode{true});
    if (!stream.is_open()) return {{}, last_error()};
    // EINPROGRESS: the handshake goes on in the background. (EINTR cannot happen on a
    // non-blocking connect, and would mean the same.)
    if (::connect(stream.fd(), peer.data(), peer.size()) != 0 && errno != EINPROGRESS &&
        errno != EINTR) {
        return {{}, last_error()};
    }
    return {std::move(stream), {}};
}

Result<TcpStream> TcpStream::connect(const SocketAddress& peer, Timeout timeout) noexcept {
    // Connecting without blocking and then polling is the one way to bound the handshake (and to
    // survive a signal during it, after which a blocking connect() cannot simply be called again).
    auto [stream, ec] = start_connect(peer);
    if (ec) return {{}, ec};
    if (auto wait_ec = wait_until_ready(stream.fd(), POLLOUT, deadline_after(timeout))) {
        return {{}, wait_ec};
    }
    if (auto connect_ec = stream.take_error()) return {{}, connect_ec};
    if (auto mode_ec = stream.set_nonblocking(false)) return {{}, mode_ec};
    return {std::move(stream), {}};
}

Result<TcpStream> TcpStream::connect(std::span<const SocketAddress> candidates,
                                     Timeout timeout_each) noexcept {
    std::error_code last = std::make_error_code(std::errc::invalid_argument);  // no candidates
    for (const SocketAddress& candidate : candidates) {
        auto result = connect(candidate, timeout_each);
        if (!result.error) return result;
        last = result.error;
    }
    return {{}, last};
}

std::error_code TcpStream::set_no_delay(bool no_delay) noexcept {
    return set_option(IPPROTO_TCP, TCP_NODELAY, no_delay ? 1 : 0);
}

Result<TcpListener> TcpListener::bind(const SocketAddress& local,
                                      const ListenOptions& options) noexcept {
    TcpListener listener(open_socket(local.family(), SOCK_STREAM, false), KnownMode{false});
    if (!listener.is_open()) return {{}, last_error()};
    const int fd = listener.fd();
    std::error_code ec;
    if (options.reuse_address) ec = set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (!ec && options.reuse_port) ec = set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    if (!ec && local.family() == AF_INET6) {
        ec = set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, options.v6_only ? 1 : 0);
    }
    if (ec) return {{}, ec};
    if (::bind(fd, local.data(), local.size()) != 0) return {{}, last_error()};
    if (::listen(fd, options.backlog) != 0) return {{}, last_error()};
    return {std::move(listener), {}};
}

Result<TcpStream> TcpListener::accept() noexcept {
    auto [accepted, ec] = retry([&] { return ::accept4(fd(), nullptr, nullptr, SOCK_CLOEXEC); },
                                POLLIN, deadline_after(read_timeout()));
    if (ec) return {{}, ec};
    return {TcpStream(unique_fd{static_cast<int>(accepted)}, KnownMode{false}), {}};
}

// ---- Unix streams -----------------------------------------------------------------------------

Result<UnixStream> UnixStream::connect(const UnixAddress& peer, Timeout timeout) noexcept {
    UnixStream stream(open_socket(AF_UNIX, SOCK_STREAM, false), KnownMode{false});
    if (!stream.is_open()) return {{}, last_error()};
    // A Unix connect() either completes at once or waits for room in the listener's backlog; a
    // non-blocking one fails with EAGAIN rather than finishing later, so poll() cannot bound it.
    // The kernel bounds that wait by SO_SNDTIMEO instead, and then fails with EAGAIN too.
    const Deadline deadline = deadline_after(timeout);
    for (;;) {
        if (deadline) {
            const auto left =
                std::chrono::ceil<std::chrono::microseconds>(*deadline - steady_clock::now());
            if (left.count() <= 0) return {{}, std::make_error_code(std::errc::timed_out)};
            timeval bound{static_cast<time_t>(left.count() / 1'000'000),
                          static_cast<suseconds_t>(left.count() % 1'000'000)};
            if (::setsockopt(stream.fd(), SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound) != 0) {
                return {{}, last_error()};
            }
        }
        if (::connect(stream.fd(), peer.data(), peer.size()) == 0) break;
        if (errno == EINTR) continue;
        if (errno == EAGAIN && deadline) return {{}, std::make_error_code(std::errc::timed_out)};
        return {{}, last_error()};
    }
    if (deadline) {
        // Writes are bounded by poll() (the write timeout), never by the kernel's timer: reset it.
        timeval none{};
        if (::setsockopt(stream.fd(), SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none) != 0) {
            return {{}, last_error()};
        }
    }
    return {std::move(stream), {}};
}

Result<std::pair<UnixStream, UnixStream>> UnixStream::pair() noexcept {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return {{}, last_error()};
    return {{UnixStream(unique_fd{fds[0]}, KnownMode{false}),
             UnixStream(unique_fd{fds[1]}, KnownMode{false})},
            {}};
}

Result<UnixListener> UnixListener::bind(const UnixAddress& local, int backlog) noexcept {
    UnixListener listener(open_socket(AF_UNIX, SOCK_STREAM, false), KnownMode{false});
    if (!listener.is_open()) return {{}, last_error()};
    if (::bind(listener.fd(), local.data(), local.size()) != 0) return {{}, last_error()};
    if (::listen(listener.fd(), backlog) != 0) return {{}, last_error()};
    return {std::move(listener), {}};
}

Result<UnixStream> UnixListener::accept() noexcept {
    auto [accepted, ec] = retry([&] { return ::accept4(fd(), nullptr, nullptr, SOCK_CLOEXEC); },
                                POLLIN, deadline_after(read_timeout()));
    if (ec) return {{}, ec};
    return {UnixStream(unique_fd{static_cast<int>(accepted)}, KnownMode{false}), {}};
}

std::error_code remove_stale_socket_file(const UnixAddress& path) noexcept {
    // How long a live server may take to accept our probe before we call the file in use.
    constexpr std::chrono::milliseconds probe_timeout{500};
    if (path.is_unnamed() || path.is_abstract()) return {};
    const std::string name = path.name();
    struct stat status {};
    if (::lstat(name.c_str(), &status) != 0)
        return errno == ENOENT ? std::error_code{} : last_error();
    if (!S_ISSOCK(status.st_mode)) return std::make_error_code(std::errc::not_a_socket);
    auto [probe, ec] = UnixStream::connect(path, probe_timeout);
    // Connected, or waited in a full backlog: a server is there.
    if (!ec || ec == std::errc::timed_out) return std::make_error_code(std::errc::address_in_use);
    // Refused: a socket file nobody listens on. Any other failure is not ours to decide.
    if (ec != std::errc::connection_refused) return ec;
    if (::unlink(name.c_str()) != 0 && errno != ENOENT) return last_error();
    return {};
}

// ---- Datagrams --------------------------------------------------------------------------------

namespace {

// recvfrom() with MSG_TRUNC, which makes Linux return a datagram's full length even when only a
// prefix fit: the one way to notice truncation.
template <class Address>
struct DatagramReceiver {
    int fd;
    std::span<char> buffer;
    sockaddr_storage sender{};
    socklen_t sender_length = 0;

    ssize_t operator()() noexcept {
        sender_length = sizeof sender;
        return ::recvfrom(fd, buffer.data(), buffer.size(), MSG_TRUNC,
                          reinterpret_cast<sockaddr*>(&sender), &sender_length);
    }
    Datagram<Address> datagram(std::size_t full_size) const noexcept {
        return {std::min(full_size, buffer.size()), full_size,
                Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sender), sender_length)};
    }
};

}  // namespace

Result<UdpSocket> UdpSocket::bind(const SocketAddress& local) noexcept {
    UdpSocket socket(open_socket(local.family(), SOCK_DGRAM, false), KnownMode{false});
    if (!socket.is_open()) return {{}, last_error()};
    if (::bind(socket.fd(), local.data(), local.size()) != 0) return {{}, last_error()};
    return {std::move(socket), {}};
}

Result<UdpSocket> UdpSocket::connect(const SocketAddress& peer) noexcept {
    UdpSocket socket(open_socket(peer.family(), SOCK_DGRAM, false), KnownMode{false});
    if (!socket.is_open()) return {{}, last_error()};
    if (::connect(socket.fd(), peer.data(), peer.size()) != 0) return {{}, last_error()};
    return {std::move(socket), {}};
}

Result<std::size_t> UdpSocket::send_to(std::string_view data,
                                       const SocketAddress& destination) noexcept {
    return retry(
        [&] {
            return ::sendto(fd(), data.data(), data.size(), MSG_NOSIGNAL, destination.data(),
                            destination.size());
        },
        POLLOUT, deadline_after(write_timeout()));
}

Result<std::size_t> UdpSocket::send(std::string_view data) noexcept {
    return retry([&] { return ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL); }, POLLOUT,
                 deadline_after(write_timeout()));
}

Result<Datagram<SocketAddress>> UdpSocket::recv_from(std::span<char> buffer) noexcept {
    DatagramReceiver<SocketAddress> receiver{fd(), buffer};
    auto [full_size, ec] = retry(std::ref(receiver), POLLIN, deadline_after(read_timeout()));
    if (ec) return {{}, ec};
    return {receiver.datagram(full_size), {}};
}

Result<UnixDatagram> UnixDatagram::bind(const UnixAddress& local) noexcept {
    UnixDatagram socket(open_socket(AF_UNIX, SOCK_DGRAM, false), KnownMode{false});
    if (!socket.is_open()) return {{}, last_error()};
    if (::bind(socket.fd(), local.data(), local.size()) != 0) return {{}, last_error()};
    return {std::move(socket), {}};
}

Result<UnixDatagram> UnixDatagram::connect(const UnixAddress& peer) noexcept {
    auto [socket, ec] = bind(UnixAddress());
    if (ec) return {{}, ec};
    if (::connect(socket.fd(), peer.data(), peer.size()) != 0) return {{}, last_error()};
    return {std::move(socket), {}};
}

Result<std::pair<UnixDatagram, UnixDatagram>> UnixDatagram::pair() noexcept {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) return {{}, last_error()};
    return {{UnixDatagram(unique_fd{fds[0]}, KnownMode{false}),
             UnixDatagram(unique_fd{fds[1]}, KnownMode{false})},
            {}};
}

Result<std::size_t> UnixDatagram::send_to(std::string_view data,
                                          const UnixAddress& destination) noexcept {
    return retry(
        [&] {
            return ::sendto(fd(), data.data(), data.size(), MSG_NOSIGNAL, destination.data(),
                            destination.size());
        },
        POLLOUT, deadline_after(write_timeout()));
}

Result<std::size_t> UnixDatagram::send(std::string_view data) noexcept {
    return retry([&] { return ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL); }, POLLOUT,
                 deadline_after(write_timeout()));
}

Result<Datagram<UnixAddress>> UnixDatagram::recv_from(std::span<char> buffer) noexcept {
    DatagramReceiver<UnixAddress> receiver{fd(), buffer};
    auto [full_size, ec] = retry(std::ref(receiver), POLLIN, deadline_after(read_timeout()));
    if (ec) return {{}, ec};
    return {receiver.datagram(full_size), {}};
}

}  // namespace cgikit::net
