#include "net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "open_descriptors.hpp"

using namespace cgikit::net;
using namespace std::chrono_literals;
using cgikit::net::testing::open_descriptor_count;
using Clock = std::chrono::steady_clock;

namespace {

SocketAddress address(std::string_view text) {
    auto parsed = SocketAddress::parse(text);
    REQUIRE(parsed);
    return *parsed;
}

bool close_on_exec(const Socket& socket) {
    const int flags = ::fcntl(socket.fd(), F_GETFD);
    return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}

bool descriptor_nonblocking(const Socket& socket) {
    return (::fcntl(socket.fd(), F_GETFL) & O_NONBLOCK) != 0;
}

// A listener on a free loopback port, a client connected to it and the server's end.
struct TcpPair {
    TcpListener listener;
    TcpStream client;
    TcpStream server;
};

TcpPair connected_tcp_pair(std::string_view local = "127.0.0.1:0") {
    TcpPair pair;
    auto [listener, listen_ec] = TcpListener::bind(address(local));
    REQUIRE_FALSE(listen_ec);
    pair.listener = std::move(listener);
    auto [client, connect_ec] = TcpStream::connect(*pair.listener.local_address(), 5s);
    REQUIRE_FALSE(connect_ec);
    pair.client = std::move(client);
    auto [server, accept_ec] = pair.listener.accept();
    REQUIRE_FALSE(accept_ec);
    pair.server = std::move(server);
    return pair;
}

std::string receive_exactly(StreamSocket& stream, std::size_t size) {
    std::string data;
    std::array<char, 4096> buffer;
    while (data.size() < size) {
        auto [received, ec] =
            stream.recv({buffer.data(), std::min(buffer.size(), size - data.size())});
        REQUIRE_FALSE(ec);
        REQUIRE(received > 0);
        data.append(buffer.data(), received);
    }
    return data;
}

// A path for a Unix socket in a fresh temporary directory, removed again with the object.
class TemporarySocketPath {
  public:
    TemporarySocketPath() {
        char pattern[] = "/tmp/cgikit-net-test-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        directory_ = pattern;
        path_ = directory_ + "/socket";
    }
    ~TemporarySocketPath() {
        ::unlink(path_.c_str());
        ::rmdir(directory_.c_str());
    }
    const std::string& path() const { return path_; }
    UnixAddress address() const { return *UnixAddress::from_path(path_); }

  private:
    std::string directory_;
    std::string path_;
};

// A name no other test process uses at the same time.
UnixAddress unique_abstract_address(std::string_view purpose) {
    return *UnixAddress::abstract("cgikit-net-test-" + std::to_string(::getpid()) + "-" +
                                  std::string(purpose));
}

}  // namespace

TEST_CASE("TCP over IPv4 loopback: connect, accept, exchange both ways", "[socket][tcp]") {
    auto pair = connected_tcp_pair();
    const auto listening = *pair.listener.local_address();
    CHECK(listening.port() != 0);  // port 0 asked for a free one
    CHECK(pair.client.peer_address()->to_string() == listening.to_string());
    CHECK(pair.server.peer_address()->to_string() == pair.client.local_address()->to_string());

    REQUIRE_FALSE(pair.client.send_all("ping"));
    CHECK(receive_exactly(pair.server, 4) == "ping");
    REQUIRE_FALSE(pair.server.send_all("pong!"));
    CHECK(receive_exactly(pair.client, 5) == "pong!");
}

TEST_CASE("TCP over IPv6 loopback", "[socket][tcp]") {
    auto [listener, ec] = TcpListener::bind(address("[::1]:0"));
    if (ec == std::errc::address_not_available || ec == std::errc::address_family_not_supported) {
        WARN("no IPv6 loopback here: " << ec.message());
        return;
    }
    REQUIRE_FALSE(ec);
    auto [client, connect_ec] = TcpStream::connect(*listener.local_address(), 5s);
    REQUIRE_FALSE(connect_ec);
    auto [server, accept_ec] = listener.accept();
    REQUIRE_FALSE(accept_ec);
    CHECK(server.peer_address()->host() == "::1");
    REQUIRE_FALSE(client.send_all("six"));
    CHECK(receive_exactly(server, 3) == "six");
}

TEST_CASE("a large transfer arrives whole and in order through send_all", "[socket][tcp]") {
    auto pair = connected_tcp_pair();
    std::string data(4 << 20, '\0');
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(i * 7 + i / 4096);
    std::string received;
    // The peer must read while we write: 4 MiB exceed the socket buffers.
    std::thread reader([&] { received = receive_exactly(pair.server, data.size()); });
    const auto ec = pair.client.send_all(data);
    reader.join();
    CHECK_FALSE(ec);
    CHECK(received == data);
}

TEST_CASE("every socket is created close-on-exec", "[socket]") {
    auto pair = connected_tcp_pair();
    CHECK(close_on_exec(pair.listener));
    CHECK(close_on_exec(pair.client));
    CHECK(close_on_exec(pair.server));
    auto [udp, udp_ec] = UdpSocket::bind(address("127.0.0.1:0"));
    REQUIRE_FALSE(udp_ec);
    CHECK(close_on_exec(udp));
    auto [udp_client, connect_ec] = UdpSocket::connect(*udp.local_address());
    REQUIRE_FALSE(connect_ec);
    CHECK(close_on_exec(udp_client));
    auto [streams, stream_ec] = UnixStream::pair();
    REQUIRE_FALSE(stream_ec);
    CHECK(close_on_exec(streams.first));
    CHECK(close_on_exec(streams.second));
    auto [datagrams, datagram_ec] = UnixDatagram::pair();
    REQUIRE_FALSE(datagram_ec);
    CHECK(close_on_exec(datagrams.first));
    auto [listener, listen_ec] = UnixListener::bind(unique_abstract_address("cloexec"));
    REQUIRE_FALSE(listen_ec);
    CHECK(close_on_exec(listener));
    auto [unix_client, unix_ec] = UnixStream::connect(*listener.local_address(), 5s);
    REQUIRE_FALSE(unix_ec);
    CHECK(close_on_exec(unix_client));
    auto [accepted, accept_ec] = listener.accept();
    REQUIRE_FALSE(accept_ec);
    CHECK(close_on_exec(accepted));
}

TEST_CASE("connecting to a port nobody listens on is refused", "[socket][tcp]") {
    SocketAddress closed;
    {
        auto [listener, ec] = TcpListener::bind(address("127.0.0.1:0"));
        REQUIRE_FALSE(ec);
        closed = *listener.local_address();
    }
    auto [stream, ec] = TcpStream::connect(closed, 5s);
    CHECK(ec == std::errc::connection_refused);
    CHECK_FALSE(stream.is_open());
}

TEST_CASE("connect tries each candidate until one answers", "[socket][tcp]") {
    SocketAddress closed;
    {
        auto [listener, ec] = TcpListener::bind(address("127.0.0.1:0"));
        REQUIRE_FALSE(ec);
        closed = *listener.local_address();
    }
    auto [listener, ec] = TcpListener::bind(address("127.0.0.1:0"));
    REQUIRE_FALSE(ec);
    const std::vector<SocketAddress> candidates{closed, *listener.local_address()};
    auto [stream, connect_ec] = TcpStream::connect(candidates, 5s);
    REQUIRE_FALSE(connect_ec);
    CHECK(stream.peer_address()->port() == listener.local_address()->port());

    auto [none, none_ec] = TcpStream::connect(std::span<const SocketAddress>{}, 5s);
    CHECK(none_ec);
    auto [refused, refused_ec] = TcpStream::connect(std::vector{closed}, 5s);
    CHECK(refused_ec == std::errc::connection_refused);
}

TEST_CASE("a connect the listener cannot take times out within its bound",
          "[socket][tcp][timeout]") {
    // Backlog 0: one handshake completes into the accept queue, which is then full; later SYNs
    // are dropped and those connects wait - until our timeout.
    auto [listener, ec] = TcpListener::bind(address("127.0.0.1:0"), {.backlog = 0});
    REQUIRE_FALSE(ec);
    std::vector<TcpStream> queued;
    std::error_code outcome;
    Clock::duration waited{};
    for (int attempt = 0; attempt < 4 && !outcome; ++attempt) {
        const auto start = Clock::now();
        auto [stream, connect_ec] = TcpStream::connect(*listener.local_address(), 200ms);
        waited = Clock::now() - start;
        outcome = connect_ec;
        queued.push_back(std::move(stream));
    }
    CHECK(outcome == std::errc::timed_out);
    CHECK(waited >= 200ms);
    CHECK(waited < 3s);
}

TEST_CASE("recv on a silent peer times out within the read timeout", "[socket][tcp][timeout]") {
    auto pair = connected_tcp_pair();
    REQUIRE_FALSE(pair.client.set_read_timeout(150ms));
    std::array<char, 16> buffer;
    const auto start = Clock::now();
    auto [received, ec] = pair.client.recv(buffer);
    const auto waited = Clock::now() - start;
    CHECK(ec == std::errc::timed_out);
    CHECK(received == 0);
    CHECK(waited >= 150ms);
    CHECK(waited < 3s);

    // The stream is still good: data sent now is received.
    REQUIRE_FALSE(pair.server.send_all("late"));
    CHECK(receive_exactly(pair.client, 4) == "late");
}

TEST_CASE("send_all to a peer that never reads times out within the write timeout",
          "[socket][tcp][timeout]") {
    auto pair = connected_tcp_pair();
    // Small buffers on both sides, so a few hundred KiB fill them.
    REQUIRE_FALSE(pair.client.set_option(SOL_SOCKET, SO_SNDBUF, 16 * 1024));
    REQUIRE_FALSE(pair.server.set_option(SOL_SOCKET, SO_RCVBUF, 16 * 1024));
    REQUIRE_FALSE(pair.client.set_write_timeout(150ms));
    const std::string data(16 << 20, 'x');
    const auto start = Clock::now();
    const auto ec = pair.client.send_all(data);
    const auto waited = Clock::now() - start;
    CHECK(ec == std::errc::timed_out);
    CHECK(waited >= 150ms);
    CHECK(waited < 3s);
}

TEST_CASE("accept waits at most the listener's read timeout", "[socket][tcp][timeout]") {
    auto [listener, ec] = TcpListener::bind(address("127.0.0.1:0"));
    REQUIRE_FALSE(ec);
    REQUIRE_FALSE(listener.set_read_timeout(100ms));
    const auto start = Clock::now();
    auto [stream, accept_ec] = listener.accept();
    CHECK(accept_ec == std::errc::timed_out);
    CHECK(Clock::now() - start >= 100ms);
}

TEST_CASE("a signal does not cut a timed wait short", "[socket][timeout]") {
    // SIGALRM every 20 ms, without SA_RESTART: each one interrupts the poll() inside recv().
    struct sigaction action {};
    action.sa_handler = [](int) {};
    sigemptyset(&action.sa_mask);
    struct sigaction previous {};
    REQUIRE(::sigaction(SIGALRM, &action, &previous) == 0);
    const itimerval every_20ms{{0, 20'000}, {0, 20'000}};
    REQUIRE(::setitimer(ITIMER_REAL, &every_20ms, nullptr) == 0);

    auto pair = connected_tcp_pair();
    REQUIRE_FALSE(pair.client.set_read_timeout(200ms));
    std::array<char, 16> buffer;
    const auto start = Clock::now();
    auto [received, ec] = pair.client.recv(buffer);
    const auto waited = Clock::now() - start;

    const itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    ::sigaction(SIGALRM, &previous, nullptr);
    CHECK(ec == std::errc::timed_out);
    CHECK(waited >= 200ms);
}

TEST_CASE("non-blocking sockets fail at once instead of waiting", "[socket][tcp]") {
    auto pair = connected_tcp_pair();
    REQUIRE_FALSE(pair.client.set_nonblocking(true));
    CHECK(pair.client.nonblocking());
    CHECK(descriptor_nonblocking(pair.client));
    std::array<char, 16> buffer;
    auto [received, ec] = pair.client.recv(buffer);
    CHECK(ec == std::errc::operation_would_block);

    REQUIRE_FALSE(pair.listener.set_nonblocking(true));
    auto [none, accept_ec] = pair.listener.accept();
    CHECK(accept_ec == std::errc::operation_would_block);

    // Back to blocking: recv waits for (and gets) the data.
    REQUIRE_FALSE(pair.client.set_nonblocking(false));
    CHECK_FALSE(descriptor_nonblocking(pair.client));
    REQUIRE_FALSE(pair.server.send_all("x"));
    CHECK(receive_exactly(pair.client, 1) == "x");
}

TEST_CASE("a timeout makes the descriptor non-blocking only while it is set", "[socket]") {
    auto pair = connected_tcp_pair();
    CHECK_FALSE(descriptor_nonblocking(pair.client));
    REQUIRE_FALSE(pair.client.set_read_timeout(1s));
    CHECK(descriptor_nonblocking(pair.client));
    CHECK_FALSE(pair.client.nonblocking());  // still a blocking socket to its owner
    REQUIRE_FALSE(pair.client.set_write_timeout(1s));
    REQUIRE_FALSE(pair.client.set_read_timeout(std::nullopt));
    CHECK(descriptor_nonblocking(pair.client));  // the write timeout still needs it
    REQUIRE_FALSE(pair.client.set_write_timeout(std::nullopt));
    CHECK_FALSE(descriptor_nonblocking(pair.client));
}

TEST_CASE("start_connect completes in the background", "[socket][tcp]") {
    auto [listener, ec] = TcpListener::bind(address("127.0.0.1:0"));
    REQUIRE_FALSE(ec);
    auto [stream, connect_ec] = TcpStream::start_connect(*listener.local_address());
    REQUIRE_FALSE(connect_ec);
    CHECK(stream.nonblocking());
    pollfd entry{stream.fd(), POLLOUT, 0};
    REQUIRE(::poll(&entry, 1, 5000) == 1);
    CHECK_FALSE(stream.take_error());
    auto [server, accept_ec] = listener.accept();
    REQUIRE_FALSE(accept_ec);
    CHECK(stream.peer_address()->port() == listener.local_address()->port());
}

TEST_CASE("shutdown(write) ends the stream for the peer, which can still answer", "[socket][tcp]") {
    auto pair = connected_tcp_pair();
    REQUIRE_FALSE(pair.client.send_all("question"));
    REQUIRE_FALSE(pair.client.shutdown(Shutdown::write));
    CHECK(receive_exactly(pair.server, 8) == "question");
    std::array<char, 16> buffer;
    auto [received, ec] = pair.server.recv(buffer);
    CHECK_FALSE(ec);
    CHECK(received == 0);  // end of stream
    REQUIRE_FALSE(pair.server.send_all("answer"));
    CHECK(receive_exactly(pair.client, 6) == "answer");
}

TEST_CASE("writing to a closed peer fails with an error, not SIGPIPE", "[socket][tcp]") {
    auto pair = connected_tcp_pair();
    pair.server.close();
    std::error_code ec;
    // The first write may still be accepted (the peer answers it with a reset); a later one
    // fails. Without MSG_NOSIGNAL this test process would die of SIGPIPE here.
    for (int attempt = 0; attempt < 100 && !ec; ++attempt)
        ec = pair.client.send_all("data");
    CHECK((ec == std::errc::broken_pipe || ec == std::errc::connection_reset));
}

TEST_CASE("close() and release() give up the descriptor", "[socket]") {
    auto pair = connected_tcp_pair();
    CHECK_FALSE(pair.client.close());
    CHECK_FALSE(pair.client.is_open());
    CHECK_FALSE(pair.client.close());  // closing twice is harmless

    REQUIRE_FALSE(pair.server.set_nonblocking(true));
    unique_fd raw = pair.server.release();
    CHECK_FALSE(pair.server.is_open());
    REQUIRE(raw.valid());
    // Adopting reads the descriptor's mode.
    TcpStream adopted(std::move(raw));
    CHECK(adopted.is_open());
    CHECK(adopted.nonblocking());
}

TEST_CASE("no_delay is set and read back", "[socket][tcp]") {
    auto pair = connected_tcp_pair();
    REQUIRE_FALSE(pair.client.set_no_delay(true));
    CHECK(pair.client.option(IPPROTO_TCP, TCP_NODELAY).value != 0);
    REQUIRE_FALSE(pair.client.set_no_delay(false));
    CHECK(pair.client.option(IPPROTO_TCP, TCP_NODELAY).value == 0);
}

TEST_CASE("binding an address in use fails with address_in_use", "[socket][tcp]") {
    auto [first, ec] = TcpListener::bind(address("127.0.0.1:0"));
    REQUIRE_FALSE(ec);
    auto [second, second_ec] = TcpListener::bind(*first.local_address());
    CHECK(second_ec == std::errc::address_in_use);
    // SO_REUSEPORT on both: the port is shared.
    auto [a, a_ec] = TcpListener::bind(address("127.0.0.1:0"), {.reuse_port = true});
    REQUIRE_FALSE(a_ec);
    auto [b, b_ec] = TcpListener::bind(*a.local_address(), {.reuse_port = true});
    CHECK_FALSE(b_ec);
}

TEST_CASE("UDP: datagrams both ways, with the sender's address", "[socket][udp]") {
    auto [server, ec] = UdpSocket::bind(address("127.0.0.1:0"));
    REQUIRE_FALSE(ec);
    auto [client, client_ec] = UdpSocket::connect(*server.local_address());
    REQUIRE_FALSE(client_ec);
    REQUIRE_FALSE(server.set_read_timeout(5s));
    REQUIRE_FALSE(client.set_read_timeout(5s));

    auto [sent, send_ec] = client.send("hello");
    REQUIRE_FALSE(send_ec);
    CHECK(sent == 5);
    std::array<char, 64> buffer;
    auto [request, recv_ec] = server.recv_from(buffer);
    REQUIRE_FALSE(recv_ec);
    CHECK(std::string_view(buffer.data(), request.size) == "hello");
    CHECK_FALSE(request.truncated());
    CHECK(request.sender.to_string() == client.local_address()->to_string());

    REQUIRE_FALSE(server.send_to("world", request.sender).error);
    auto [reply, reply_ec] = client.recv_from(buffer);
    REQUIRE_FALSE(reply_ec);
    CHECK(std::string_view(buffer.data(), reply.size) == "world");
    CHECK(reply.sender.to_string() == server.local_address()->to_string());

    // An empty datagram is a datagram too.
    REQUIRE_FALSE(client.send("").error);
    auto [empty, empty_ec] = server.recv_from(buffer);
    REQUIRE_FALSE(empty_ec);
    CHECK(empty.size == 0);
    CHECK(empty.full_size == 0);
}

TEST_CASE("UDP: a datagram longer than the buffer is truncated, and says so", "[socket][udp]") {
    auto [server, ec] = UdpSocket::bind(address("127.0.0.1:0"));
    REQUIRE_FALSE(ec);
    REQUIRE_FALSE(server.set_read_timeout(5s));
    auto [client, client_ec] = UdpSocket::connect(*server.local_address());
    REQUIRE_FALSE(client_ec);
    const std::string big(2000, 'b');
    REQUIRE_FALSE(client.send(big).error);
    REQUIRE_FALSE(client.send("next").error);

    std::array<char, 100> buffer;
    auto [cut, recv_ec] = server.recv_from(buffer);
    REQUIRE_FALSE(recv_ec);
    CHECK(cut.truncated());
    CHECK(cut.size == buffer.size());
    CHECK(cut.full_size == big.size());
    CHECK(std::string_view(buffer.data(), cut.size) == big.substr(0, buffer.size()));
    // The rest of the long datagram is gone; the next one arrives whole.
    auto [next, next_ec] = server.recv_from(buffer);
    REQUIRE_FALSE(next_ec);
    CHECK_FALSE(next.truncated());
    CHECK(std::string_view(buffer.data(), next.size) == "next");
}

TEST_CASE("UDP: a datagram over the protocol's limit cannot be sent", "[socket][udp]") {
    auto [client, ec] = UdpSocket::connect(address("127.0.0.1:9"));
    REQUIRE_FALSE(ec);
    const std::string too_big(UdpSocket::max_payload_bytes + 1, 'x');
    auto [sent, send_ec] = client.send(too_big);
    CHECK(send_ec == std::errc::message_size);
    CHECK(sent == 0);
}

TEST_CASE("UDP: a connected socket learns that nobody listens", "[socket][udp]") {
    SocketAddress closed;
    {
        auto [socket, ec] = UdpSocket::bind(address("127.0.0.1:0"));
        REQUIRE_FALSE(ec);
        closed = *socket.local_address();
    }
    auto [client, ec] = UdpSocket::connect(closed);
    REQUIRE_FALSE(ec);
    REQUIRE_FALSE(client.set_read_timeout(2s));
    REQUIRE_FALSE(client.send("anyone?").error);
    std::array<char, 16> buffer;
    auto [reply, recv_ec] = client.recv_from(buffer);
    CHECK(recv_ec == std::errc::connection_refused);  // from the ICMP "port unreachable"
}

TEST_CASE("UDP: recv_from times out within the read timeout", "[socket][udp][timeout]") {
    auto [socket, ec] = UdpSocket::bind(address("127.0.0.1:0"));
    REQUIRE_FALSE(ec);
    REQUIRE_FALSE(socket.set_read_timeout(100ms));
    std::array<char, 16> buffer;
    const auto start = Clock::now();
    auto [datagram, recv_ec] = socket.recv_from(buffer);
    CHECK(recv_ec == std::errc::timed_out);
    CHECK(Clock::now() - start >= 100ms);
}

TEST_CASE("Unix stream on a path: bind, connect, accept, addresses", "[socket][unix]") {
    TemporarySocketPath path;
    auto [listener, ec] = UnixListener::bind(path.address());
    REQUIRE_FALSE(ec);
    CHECK(listener.local_address()->to_string() == path.path());
    struct stat status {};
    REQUIRE(::lstat(path.path().c_str(), &status) == 0);
    CHECK(S_ISSOCK(status.st_mode));

    auto [client, connect_ec] = UnixStream::connect(path.address(), 5s);
    REQUIRE_FALSE(connect_ec);
    auto [server, accept_ec] = listener.accept();
    REQUIRE_FALSE(accept_ec);
    CHECK(client.peer_address()->to_string() == path.path());
    CHECK(client.local_address()->is_unnamed());
    REQUIRE_FALSE(client.send_all("over unix"));
    CHECK(receive_exactly(server, 9) == "over unix");

    auto [second, second_ec] = UnixListener::bind(path.address());
    CHECK(second_ec == std::errc::address_in_use);
}

TEST_CASE("Unix stream in the abstract namespace", "[socket][unix]") {
    const auto name = unique_abstract_address("abstract");
    auto [listener, ec] = UnixListener::bind(name);
    REQUIRE_FALSE(ec);
    CHECK(*listener.local_address() == name);
    auto [client, connect_ec] = UnixStream::connect(name, 5s);
    REQUIRE_FALSE(connect_ec);
    auto [server, accept_ec] = listener.accept();
    REQUIRE_FALSE(accept_ec);
    REQUIRE_FALSE(server.send_all("@"));
    CHECK(receive_exactly(client, 1) == "@");
}

TEST_CASE("Unix connect to a missing socket fails and to a full backlog times out",
          "[socket][unix][timeout]") {
    TemporarySocketPath path;
    auto [missing, missing_ec] = UnixStream::connect(path.address(), 1s);
    CHECK(missing_ec == std::errc::no_such_file_or_directory);

    auto [listener, ec] = UnixListener::bind(unique_abstract_address("backlog"), 0);
    REQUIRE_FALSE(ec);
    std::vector<UnixStream> queued;
    std::error_code outcome;
    Clock::duration waited{};
    for (int attempt = 0; attempt < 4 && !outcome; ++attempt) {
        const auto start = Clock::now();
        auto [stream, connect_ec] = UnixStream::connect(*listener.local_address(), 150ms);
        waited = Clock::now() - start;
        outcome = connect_ec;
        queued.push_back(std::move(stream));
    }
    CHECK(outcome == std::errc::timed_out);
    CHECK(waited >= 150ms);
    CHECK(waited < 3s);
}

TEST_CASE("remove_stale_socket_file removes only a socket nobody listens on", "[socket][unix]") {
    TemporarySocketPath path;
    CHECK_FALSE(remove_stale_socket_file(path.address()));  // no file: nothing to do
    {
        auto [listener, ec] = UnixListener::bind(path.address());
        REQUIRE_FALSE(ec);
        CHECK(remove_stale_socket_file(path.address()) == std::errc::address_in_use);
    }
    // The listener is gone but its file stays, and blocks a new bind...
    auto [blocked, blocked_ec] = UnixListener::bind(path.address());
    CHECK(blocked_ec == std::errc::address_in_use);
    // ...until the stale file is removed.
    CHECK_FALSE(remove_stale_socket_file(path.address()));
    auto [listener, ec] = UnixListener::bind(path.address());
    CHECK_FALSE(ec);
    listener.close();
    ::unlink(path.path().c_str());

    // Anything but a socket is left alone.
    std::FILE* file = std::fopen(path.path().c_str(), "w");
    REQUIRE(file != nullptr);
    std::fclose(file);
    CHECK(remove_stale_socket_file(path.address()) == std::errc::not_a_socket);
    CHECK(::access(path.path().c_str(), F_OK) == 0);
}

TEST_CASE("UnixStream::pair is a connected pair", "[socket][unix]") {
    auto [streams, ec] = UnixStream::pair();
    REQUIRE_FALSE(ec);
    auto& [left, right] = streams;
    REQUIRE_FALSE(left.send_all("to the right"));
    CHECK(receive_exactly(right, 12) == "to the right");
    REQUIRE_FALSE(right.send_all("back"));
    CHECK(receive_exactly(left, 4) == "back");
}

TEST_CASE("Unix datagrams: pair, truncation, and replies to an autobound client",
          "[socket][unix][datagram]") {
    auto [sockets, ec] = UnixDatagram::pair();
    REQUIRE_FALSE(ec);
    auto& [left, right] = sockets;
    REQUIRE_FALSE(right.set_read_timeout(5s));
    REQUIRE_FALSE(left.send(std::string(300, 'u')).error);
    std::array<char, 100> buffer;
    auto [cut, recv_ec] = right.recv_from(buffer);
    REQUIRE_FALSE(recv_ec);
    CHECK(cut.truncated());
    CHECK(cut.full_size == 300);

    const auto server_address = unique_abstract_address("datagram");
    auto [server, server_ec] = UnixDatagram::bind(server_address);
    REQUIRE_FALSE(server_ec);
    REQUIRE_FALSE(server.set_read_timeout(5s));
    auto [client, client_ec] = UnixDatagram::connect(server_address);
    REQUIRE_FALSE(client_ec);
    REQUIRE_FALSE(client.set_read_timeout(5s));
    CHECK(client.local_address()->is_abstract());  // autobound, so it can be answered

    REQUIRE_FALSE(client.send("question").error);
    auto [request, request_ec] = server.recv_from(buffer);
    REQUIRE_FALSE(request_ec);
    CHECK(std::string_view(buffer.data(), request.size) == "question");
    CHECK(request.sender == *client.local_address());
    REQUIRE_FALSE(server.send_to("answer", request.sender).error);
    auto [reply, reply_ec] = client.recv_from(buffer);
    REQUIRE_FALSE(reply_ec);
    CHECK(std::string_view(buffer.data(), reply.size) == "answer");
}

TEST_CASE("sockets leak no descriptors, whatever path their calls take", "[socket]") {
    const std::size_t before = open_descriptor_count();
    {
        auto pair = connected_tcp_pair();
        REQUIRE_FALSE(pair.client.set_read_timeout(10ms));
        std::array<char, 8> buffer;
        CHECK(pair.client.recv(buffer).error == std::errc::timed_out);
        auto moved = std::move(pair.client);
        TcpStream assigned;
        assigned = std::move(moved);
        auto [refused, refused_ec] = TcpStream::connect(address("127.0.0.1:1"), 1s);
        CHECK(refused_ec);
        auto [udp, udp_ec] = UdpSocket::bind(address("127.0.0.1:0"));
        auto [streams, pair_ec] = UnixStream::pair();
        auto [listener, listen_ec] = UnixListener::bind(unique_abstract_address("leak"));
        auto [in_use, in_use_ec] = UnixListener::bind(unique_abstract_address("leak"));
        CHECK(in_use_ec == std::errc::address_in_use);
        auto [unix_client, unix_ec] = UnixStream::connect(*listener.local_address(), 1s);
        CHECK(open_descriptor_count() > before);
    }
    CHECK(open_descriptor_count() == before);
}
