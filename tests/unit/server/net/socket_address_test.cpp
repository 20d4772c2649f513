#include "net/socket_address.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

using cgikit::net::SocketAddress;

TEST_CASE("IPv4 and bracketed IPv6 addresses parse and print back", "[socket_address]") {
    for (const char* text : {"127.0.0.1:8080", "0.0.0.0:0", "255.255.255.255:65535", "[::1]:80",
                             "[::]:0", "[2001:db8::1]:443"}) {
        INFO(text);
        const auto address = SocketAddress::parse(text);
        REQUIRE(address);
        CHECK(address->to_string() == text);
    }
    const auto v6 = *SocketAddress::parse("[::1]:8080");
    CHECK(v6.family() == AF_INET6);
    CHECK(v6.host() == "::1");
    CHECK(v6.port() == 8080);
    CHECK(v6.size() == sizeof(sockaddr_in6));
    const auto v4 = *SocketAddress::parse("10.1.2.3:1");
    CHECK(v4.family() == AF_INET);
    CHECK(v4.host() == "10.1.2.3");
    CHECK(v4.size() == sizeof(sockaddr_in));
}

TEST_CASE("malformed addresses are rejected", "[socket_address]") {
    for (const char* text : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                             "127.0.0.1:8o", "::1:80", "[::1]80", "[::1]", "[::1:80",
                             "localhost:80", "256.0.0.1:80", "[127.0.0.1]:80"}) {
        INFO(text);
        CHECK_FALSE(SocketAddress::parse(text));
    }
}

TEST_CASE("set_port changes the port only", "[socket_address]") {
    auto address = *SocketAddress::parse("[::1]:0");
    address.set_port(4242);
    CHECK(address.to_string() == "[::1]:4242");
}

TEST_CASE("an IPv4 client on a dual-stack socket shows as IPv4", "[socket_address]") {
    sockaddr_in6 mapped{};
    mapped.sin6_family = AF_INET6;
    mapped.sin6_port = htons(5000);
    REQUIRE(inet_pton(AF_INET6, "::ffff:192.0.2.7", &mapped.sin6_addr) == 1);
    const auto address =
        SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&mapped), sizeof mapped);
    CHECK(address.host() == "192.0.2.7");
    CHECK(address.port() == 5000);
}

TEST_CASE("IPv4 hosts print as inet_ntop prints them", "[socket_address]") {
    for (unsigned a : {0u, 1u, 9u, 10u, 99u, 100u, 199u, 200u, 255u}) {
        sockaddr_in v4{};
        v4.sin_family = AF_INET;
        const unsigned char octets[4] = {static_cast<unsigned char>(a),
                                         static_cast<unsigned char>(255 - a), 0,
                                         static_cast<unsigned char>(a / 2)};
        std::memcpy(&v4.sin_addr, octets, 4);
        char expected[INET_ADDRSTRLEN] = {};
        REQUIRE(inet_ntop(AF_INET, &v4.sin_addr, expected, sizeof expected) != nullptr);
        const auto address =
            SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&v4), sizeof v4);
        CHECK(address.host() == expected);
    }
}
