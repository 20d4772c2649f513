#pragma once
// RAII sockets for TCP, UDP and Unix-domain streams and datagrams.
//
// Contract shared by every type here:
//   - Each object is the one owner of its descriptor, created close-on-exec; moving transfers it.
//   - Failures are std::error_code values (errno codes in std::system_category, or std::errc); no
//     function throws. A Result<T> carries a value and an error: `auto [n, ec] = s.recv(buf);`.
//   - Writes never raise SIGPIPE: a write to a closed peer fails with std::errc::broken_pipe.
//   - Calls interrupted by a signal are resumed (as Python does since PEP 475); bound a wait with
//     a timeout instead.
//   - Blocking mode (the default): a call waits until it can proceed, for at most the socket's
//     read timeout (recv, recv_from, accept) or write timeout (send, send_all, send_to, connect
//     takes its own), then fails with std::errc::timed_out. A timeout bounds the whole call.
//   - Non-blocking mode (for event loops): a call that would wait fails at once with
//     std::errc::operation_would_block; timeouts are not used.
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

#include "net/result.hpp"
#include "net/socket_address.hpp"
#include "net/unique_fd.hpp"
#include "net/unix_address.hpp"

namespace cgikit::net {

// How long one call may wait; nullopt waits for as long as it takes.
using Timeout = std::optional<std::chrono::milliseconds>;

enum class Shutdown { read = SHUT_RD, write = SHUT_WR, both = SHUT_RDWR };

// What every socket has: its descriptor, its blocking mode and its timeouts.
class Socket {
  public:
    Socket(Socket&&) noexcept = default;
    Socket& operator=(Socket&&) noexcept = default;

    int fd() const noexcept { return fd_.get(); }
    bool is_open() const noexcept { return fd_.valid(); }

    std::error_code set_nonblocking(bool nonblocking) noexcept;
    bool nonblocking() const noexcept { return nonblocking_; }

    // Bounds for blocking calls (see the contract above); nullopt removes the bound.
    std::error_code set_read_timeout(Timeout timeout) noexcept;
    std::error_code set_write_timeout(Timeout timeout) noexcept;
    Timeout read_timeout() const noexcept { return read_timeout_; }
    Timeout write_timeout() const noexcept { return write_timeout_; }

    // setsockopt / getsockopt for the many int-valued options (SO_RCVBUF, SO_KEEPALIVE ...).
    std::error_code set_option(int level, int name, int value) noexcept;
    [[nodiscard]] Result<int> option(int level, int name) const noexcept;
    // Reads and clears the socket's pending error (SO_ERROR): the outcome of a non-blocking
    // connect, or an asynchronous error such as an ICMP "port unreachable" on UDP.
    [[nodiscard]] std::error_code take_error() noexcept;

    // Closes now and reports close()'s own error; the destructor closes too, silently.
    std::error_code close() noexcept;
    // Gives the descriptor to the caller as it is: non-blocking if the socket was non-blocking or
    // had a timeout (timeouts are implemented with O_NONBLOCK and poll; O_NONBLOCK belongs to the
    // open file, so a forked or dup()ed copy shares it).
    unique_fd release() noexcept;

  protected:
    using Deadline = std::optional<std::chrono::steady_clock::time_point>;
    // Says whether a descriptor being adopted has O_NONBLOCK, when its creator knows.
    struct KnownMode {
        bool nonblocking;
    };

    Socket() = default;
    // Adopts `fd`, reading its blocking mode from the descriptor.
    explicit Socket(unique_fd fd) noexcept;
    Socket(unique_fd fd, KnownMode mode) noexcept;
    ~Socket() = default;

    static Deadline deadline_after(Timeout timeout) noexcept;
    // Runs `call` (a system call returning -1 and errno on failure) until it succeeds or fails; a
    // blocking socket meanwhile waits for `events` until `deadline`. Defined in socket.cpp.
    template <class Call>
    Result<std::size_t> retry(Call call, short events, Deadline deadline) noexcept;

  private:
    // The descriptor is O_NONBLOCK when the socket is non-blocking or has a timeout: a timeout is
    // a poll() before retrying a call that would have blocked.
    std::error_code apply_blocking_mode() noexcept;

    unique_fd fd_;
    bool nonblocking_ = false;     // what the owner asked for
    bool fd_nonblocking_ = false;  // what the descriptor is
    Timeout read_timeout_;
    Timeout write_timeout_;
};

// A connected byte stream, TCP or Unix: the reading and writing every stream shares.
class StreamSocket : public Socket {
  public:
    StreamSocket() = default;
    explicit StreamSocket(unique_fd fd) noexcept : Socket(std::move(fd)) {}

    // Up to buffer.size() bytes. 0 bytes (for a non-empty buffer) means the peer has finished
    // sending: end of stream.
    [[nodiscard]] Result<std::size_t> recv(std::span<char> buffer) noexcept;
    // Sends a prefix of `data` and says how long it was.
    [[nodiscard]] Result<std::size_t> send(std::string_view data) noexcept;
    // Sends all of `data` (within one write timeout) or fails; after a failure an unknown prefix
    // has been sent, so the stream is only good for closing. On a non-blocking socket, use send().
    [[nodiscard]] std::error_code send_all(std::string_view data) noexcept;
    // Shutdown::write sends end-of-stream while still reading the peer's answer.
    std::error_code shutdown(Shutdown how) noexcept;

  protected:
    StreamSocket(unique_fd fd, KnownMode mode) noexcept : Socket(std::move(fd), mode) {}
};

struct ListenOptions {
    // Accepted-but-not-yet-accept()ed connections the kernel queues (capped by
    // net.core.somaxconn): generous, so a burst of clients waits instead of being refused.
    int backlog = SOMAXCONN;
    // SO_REUSEADDR: a restarted server can bind at once despite connections in TIME_WAIT.
    bool reuse_address = true;
    // SO_REUSEPORT: several sockets share the port; the kernel spreads connections among them.
    bool reuse_port = false;
    // IPV6_V6ONLY for IPv6 addresses, so that "[::]:80" and "0.0.0.0:80" are distinct sockets
    // whatever net.ipv6.bindv6only says.
    bool v6_only = true;
};

class TcpStream : public StreamSocket {
  public:
    TcpStream() = default;
    explicit TcpStream(unique_fd fd) noexcept : StreamSocket(std::move(fd)) {}

    // Connects to `peer`, waiting at most `timeout` for the handshake. The stream is blocking.
    [[nodiscard]] static Result<TcpStream> connect(const SocketAddress& peer,
                                                   Timeout timeout = {}) noexcept;
    // Tries each candidate in order (e.g. what resolve() returned), each for at most
    // `timeout_each`, until one connects; else fails with the last attempt's error.
    [[nodiscard]] static Result<TcpStream> connect(std::span<const SocketAddress> candidates,
                                                   Timeout timeout_each = {}) noexcept;
    // Starts connecting without waiting, for event loops: the stream is non-blocking and becomes
    // writable once the handshake has ended; take_error() then tells whether it succeeded.
    [[nodiscard]] static Result<TcpStream> start_connect(const SocketAddress& peer) noexcept;

    // TCP_NODELAY: send small writes at once instead of coalescing them (Nagle's algorithm).
    std::error_code set_no_delay(bool no_delay) noexcept;
    std::optional<SocketAddress> local_address() const { return SocketAddress::local_of(fd()); }
    std::optional<SocketAddress> peer_address() const { return SocketAddress::peer_of(fd()); }

  private:
    friend class TcpListener;
    TcpStream(unique_fd fd, KnownMode mode) noexcept : StreamSocket(std::move(fd), mode) {}
};

class TcpListener : public Socket {
  public:
    TcpListener() = default;
    explicit TcpListener(unique_fd fd) noexcept : Socket(std::move(fd)) {}

    // Binds and listens. Port 0 picks a free port: ask local_address() which one.
    [[nodiscard]] static Result<TcpListener> bind(const SocketAddress& local,
                                                  const ListenOptions& options = {}) noexcept;
    // The next connection, as a blocking stream whatever the listener's mode.
    [[nodiscard]] Result<TcpStream> accept() noexcept;
    std::optional<SocketAddress> local_address() const { return SocketAddress::local_of(fd()); }

  private:
    TcpListener(unique_fd fd, KnownMode mode) noexcept : Socket(std::move(fd), mode) {}
};

class UnixStream : public StreamSocket {
  public:
    UnixStream() = default;
    explicit UnixStream(unique_fd fd) noexcept : StreamSocket(std::move(fd)) {}

    // Connects to a listening socket, waiting at most `timeout` while its backlog is full.
    [[nodiscard]] static Result<UnixStream> connect(const UnixAddress& peer,
                                                    Timeout timeout = {}) noexcept;
    // Two streams connected to each other (socketpair), e.g. for a parent and its child.
    [[nodiscard]] static Result<std::pair<UnixStream, UnixStream>> pair() noexcept;

    std::optional<UnixAddress> local_address() const { return UnixAddress::local_of(fd()); }
    std::optional<UnixAddress> peer_address() const { return UnixAddress::peer_of(fd()); }

  private:
    friend class UnixListener;
    UnixStream(unique_fd fd, KnownMode mode) noexcept : StreamSocket(std::move(fd), mode) {}
};

class UnixListener : public Socket {
  public:
    UnixListener() = default;
    explicit UnixListener(unique_fd fd) noexcept : Socket(std::move(fd)) {}

    // Binds and listens; a path address creates the socket file, which fails with
    // std::errc::address_in_use if the file exists (see remove_stale_socket_file()). The file
    // outlives the socket: whoever created it removes it.
    [[nodiscard]] static Result<UnixListener> bind(const UnixAddress& local,
                                                   int backlog = SOMAXCONN) noexcept;
    [[nodiscard]] Result<UnixStream> accept() noexcept;
    std::optional<UnixAddress> local_address() const { return UnixAddress::local_of(fd()); }

  private:
    UnixListener(unique_fd fd, KnownMode mode) noexcept : Socket(std::move(fd), mode) {}
};

// Removes the socket file at `path` if no process listens on it any more (a server that crashed
// leaves it behind). Succeeds when there is no file; fails with std::errc::address_in_use when a
// server answers there, and with std::errc::not_a_socket when the file is something else (which
// is never removed).
std::error_code remove_stale_socket_file(const UnixAddress& path) noexcept;

// One received datagram. A datagram longer than the buffer is cut to fit and the rest is lost
// (datagrams are never split across reads): truncated() tells, and full_size says how long it was.
template <class Address>
struct Datagram {
    std::size_t size = 0;       // bytes stored in the buffer
    std::size_t full_size = 0;  // the datagram's length as sent
    Address sender;

    bool truncated() const noexcept { return full_size > size; }
};

class UdpSocket : public Socket {
  public:
    // The largest UDP payload: the 16-bit length field counts the 8-byte header too (over IPv4
    // the IP header leaves 20 bytes less). A buffer this big never truncates; larger sends fail
    // with std::errc::message_size.
    static constexpr std::size_t max_payload_bytes = 65535 - 8;

    UdpSocket() = default;
    explicit UdpSocket(unique_fd fd) noexcept : Socket(std::move(fd)) {}

    // A socket that receives datagrams sent to `local` (port 0: a free port).
    [[nodiscard]] static Result<UdpSocket> bind(const SocketAddress& local) noexcept;
    // A socket whose datagrams go to `peer` by default (send()), which accepts datagrams from
    // `peer` only, and which learns of an unreachable peer (recv_from fails with
    // std::errc::connection_refused after an ICMP "port unreachable").
    [[nodiscard]] static Result<UdpSocket> connect(const SocketAddress& peer) noexcept;

    [[nodiscard]] Result<std::size_t> send_to(std::string_view data,
                                              const SocketAddress& destination) noexcept;
    // To the connected peer.
    [[nodiscard]] Result<std::size_t> send(std::string_view data) noexcept;
    [[nodiscard]] Result<Datagram<SocketAddress>> recv_from(std::span<char> buffer) noexcept;

    std::optional<SocketAddress> local_address() const { return SocketAddress::local_of(fd()); }

  private:
    UdpSocket(unique_fd fd, KnownMode mode) noexcept : Socket(std::move(fd), mode) {}
};

class UnixDatagram : public Socket {
  public:
    UnixDatagram() = default;
    explicit UnixDatagram(unique_fd fd) noexcept : Socket(std::move(fd)) {}

    // Binding to the unnamed UnixAddress() autobinds to a fresh abstract name.
    [[nodiscard]] static Result<UnixDatagram> bind(const UnixAddress& local) noexcept;
    // Autobound (so the peer can reply) and connected to `peer`.
    [[nodiscard]] static Result<UnixDatagram> connect(const UnixAddress& peer) noexcept;
    [[nodiscard]] static Result<std::pair<UnixDatagram, UnixDatagram>> pair() noexcept;

    [[nodiscard]] Result<std::size_t> send_to(std::string_view data,
                                              const UnixAddress& destination) noexcept;
    [[nodiscard]] Result<std::size_t> send(std::string_view data) noexcept;
    [[nodiscard]] Result<Datagram<UnixAddress>> recv_from(std::span<char> buffer) noexcept;

    std::optional<UnixAddress> local_address() const { return UnixAddress::local_of(fd()); }

  private:
    UnixDatagram(unique_fd fd, KnownMode mode) noexcept : Socket(std::move(fd), mode) {}
};

}  // namespace cgikit::net
