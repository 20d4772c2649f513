// Listeners: one SO_REUSEPORT socket per worker on one address; port 0 resolves once so the whole
// group shares the port; non-blocking and close-on-exec; IPv6 sockets are IPv6-only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include "net/listener.hpp"
#include "net/socket_address.hpp"
#include "net/unique_fd.hpp"

using cgikit::net::open_listener;
using cgikit::net::open_listener_group;
using cgikit::net::SocketAddress;
using cgikit::net::unique_fd;

namespace {

int int_option(int fd, int level, int name) {
    int value = -1;
    socklen_t len = sizeof value;
    REQUIRE(::getsockopt(fd, level, name, &value, &len) == 0);
    return value;
}

SocketAddress address(const char* text) {
    auto parsed = SocketAddress::parse(text);
    REQUIRE(parsed);
    return *parsed;
}

// Connects a blocking client to `to`; the fd is returned (the connection completes against the
// listen backlog even before accept()).
unique_fd connect_to(const SocketAddress& to) {
    unique_fd fd(::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    REQUIRE(::connect(fd.get(), to.data(), to.size()) == 0);
    return fd;
}

// Accepts one pending connection from whichever listener of `group` has it.
bool accept_one(const std::vector<unique_fd>& group) {
    std::vector<pollfd> fds;
    for (const auto& fd : group)
        fds.push_back({fd.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 2000) <= 0) return false;
    for (const auto& p : fds) {
        if ((p.revents & POLLIN) == 0) continue;
        unique_fd client(::accept4(p.fd, nullptr, nullptr, SOCK_CLOEXEC));
        return static_cast<bool>(client);
    }
    return false;
}

void check_listening_socket(int fd) {
    CHECK(int_option(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1);
    CHECK(int_option(fd, SOL_SOCKET, SO_REUSEPORT) == 1);
    CHECK(int_option(fd, SOL_SOCKET, SO_REUSEADDR) == 1);
    CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
}

}  // namespace

TEST_CASE("a group on port 0 is N listening sockets on one free port", "[listener]") {
    std::error_code error;
    auto group = open_listener_group(address("127.0.0.1:0"), 4, error);
    REQUIRE_FALSE(error);
    REQUIRE(group.size() == 4);
    auto first = SocketAddress::local_of(group[0].get());
    REQUIRE(first);
    CHECK(first->port() != 0);
    CHECK(first->host() == "127.0.0.1");
    for (const auto& fd : group) {
        auto local = SocketAddress::local_of(fd.get());
        REQUIRE(local);
        CHECK(local->to_string() == first->to_string());
        check_listening_socket(fd.get());
    }
    // Connections to the port are accepted by the group (the kernel picks a socket per
    // connection).
    std::vector<unique_fd> clients;
    for (int i = 0; i < 8; ++i)
        clients.push_back(connect_to(*first));
    for (int i = 0; i < 8; ++i)
        CHECK(accept_one(group));
}

TEST_CASE("a group on a fixed port binds that port", "[listener]") {
    std::error_code error;
    auto probe = open_listener_group(address("127.0.0.1:0"), 1, error);
    REQUIRE(probe.size() == 1);
    auto port = SocketAddress::local_of(probe[0].get())->port();
    probe.clear();  // free the port again
    auto fixed = address("127.0.0.1:0");
    fixed.set_port(port);
    auto group = open_listener_group(fixed, 2, error);
    REQUIRE_FALSE(error);
    REQUIRE(group.size() == 2);
    CHECK(SocketAddress::local_of(group[1].get())->port() == port);
}

TEST_CASE("an IPv6 group listens on [::1], IPv6-only", "[listener]") {
    std::error_code error;
    auto group = open_listener_group(address("[::1]:0"), 2, error);
    REQUIRE_FALSE(error);
    REQUIRE(group.size() == 2);
    auto local = SocketAddress::local_of(group[0].get());
    REQUIRE(local);
    CHECK(local->family() == AF_INET6);
    CHECK(local->host() == "::1");
    CHECK(local->to_string() == "[::1]:" + std::to_string(local->port()));
    for (const auto& fd : group) {
        check_listening_socket(fd.get());
        CHECK(int_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY) == 1);
    }
    auto client = connect_to(*local);
    CHECK(accept_one(group));
    auto peer = SocketAddress::peer_of(client.get());
    REQUIRE(peer);
    CHECK(peer->to_string() == local->to_string());
}

TEST_CASE("IPv4 and IPv6 wildcards coexist on one port", "[listener]") {
    std::error_code error;
    auto v6 = open_listener_group(address("[::]:0"), 1, error);
    REQUIRE_FALSE(error);
    REQUIRE(v6.size() == 1);
    auto v4_address = address("0.0.0.0:0");
    v4_address.set_port(SocketAddress::local_of(v6[0].get())->port());
    auto v4 = open_listener_group(v4_address, 1, error);
    CHECK_FALSE(error);
    CHECK(v4.size() == 1);
}

TEST_CASE("a port held by a socket without SO_REUSEPORT is an error, not a partial group",
          "[listener]") {
    unique_fd holder(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    auto any = address("127.0.0.1:0");
    REQUIRE(::bind(holder.get(), any.data(), any.size()) == 0);
    REQUIRE(::listen(holder.get(), 1) == 0);
    auto taken = any;
    taken.set_port(SocketAddress::local_of(holder.get())->port());
    std::error_code error;
    auto group = open_listener_group(taken, 3, error);
    CHECK(group.empty());
    CHECK(error == std::error_code(EADDRINUSE, std::system_category()));
}

TEST_CASE("a port another reuse-port group listens on is refused, not joined", "[listener]") {
    // Another cgikitd (same user, SO_REUSEPORT) on the port: the kernel would let a second group
    // join it and share its connections; the probe bind refuses it.
    std::error_code error;
    auto first = open_listener_group(address("127.0.0.1:0"), 2, error);
    REQUIRE(first.size() == 2);
    auto taken = *SocketAddress::local_of(first[0].get());
    CHECK_FALSE(cgikit::net::address_is_free(taken, error));
    CHECK(error == std::error_code(EADDRINUSE, std::system_category()));
    error.clear();
    auto second = open_listener_group(taken, 2, error);
    CHECK(second.empty());
    CHECK(error == std::error_code(EADDRINUSE, std::system_category()));
    // Once the first group is gone the port is free again.
    first.clear();
    error.clear();
    CHECK(cgikit::net::address_is_free(taken, error));
    CHECK(open_listener_group(taken, 2, error).size() == 2);
}

TEST_CASE("an address that is not local is an error", "[listener]") {
    std::error_code error;
    auto group = open_listener_group(address("192.0.2.1:0"), 2, error);  // TEST-NET-1
    CHECK(group.empty());
    CHECK(error == std::error_code(EADDRNOTAVAIL, std::system_category()));
    unique_fd single = open_listener(address("192.0.2.1:0"), error);
    CHECK_FALSE(single);
    CHECK(error);
}

TEST_CASE("local_of and peer_of describe a connection", "[listener]") {
    std::error_code error;
    auto group = open_listener_group(address("127.0.0.1:0"), 1, error);
    REQUIRE(group.size() == 1);
    auto listening = *SocketAddress::local_of(group[0].get());
    auto client = connect_to(listening);
    unique_fd accepted;
    pollfd p{group[0].get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 2000) == 1);
    accepted.reset(::accept4(group[0].get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(accepted);
    auto client_local = SocketAddress::local_of(client.get());
    auto server_peer = SocketAddress::peer_of(accepted.get());
    REQUIRE(client_local);
    REQUIRE(server_peer);
    CHECK(client_local->to_string() == server_peer->to_string());
    CHECK(SocketAddress::peer_of(accepted.get())->host() == "127.0.0.1");
    CHECK(SocketAddress::local_of(accepted.get())->to_string() == listening.to_string());
    CHECK_FALSE(SocketAddress::peer_of(group[0].get()));  // a listener has no peer
    CHECK_FALSE(SocketAddress::local_of(-1));
}

TEST_CASE("accepted sockets inherit TCP_NODELAY from the listener", "[listener]") {
    std::error_code error;
    auto group = open_listener_group(address("127.0.0.1:0"), 1, error);
    REQUIRE(group.size() == 1);
    CHECK(int_option(group[0].get(), IPPROTO_TCP, TCP_NODELAY) == 1);
    auto client = connect_to(*SocketAddress::local_of(group[0].get()));
    pollfd p{group[0].get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 2000) == 1);
    unique_fd accepted(::accept4(group[0].get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(accepted);
    CHECK(int_option(accepted.get(), IPPROTO_TCP, TCP_NODELAY) == 1);
}
