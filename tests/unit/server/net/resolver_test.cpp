#include "net/resolver.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

using namespace cgikit::net;

namespace {

std::vector<std::string> texts(const std::vector<SocketAddress>& addresses) {
    std::vector<std::string> out;
    for (const auto& address : addresses)
        out.push_back(address.to_string());
    return out;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

TEST_CASE("numeric hosts and ports resolve to themselves", "[resolver]") {
    auto [v4, ec] = resolve("127.0.0.1", "8080");
    REQUIRE_FALSE(ec);
    CHECK(texts(v4) == std::vector<std::string>{"127.0.0.1:8080"});

    auto [v6, v6_ec] = resolve("::1", "443", {.numeric_host = true});
    REQUIRE_FALSE(v6_ec);
    CHECK(texts(v6) == std::vector<std::string>{"[::1]:443"});
}

TEST_CASE("localhost resolves through /etc/hosts, once per address", "[resolver]") {
    auto [addresses, ec] = resolve("localhost", "7", {.family = AddressFamily::ipv4});
    REQUIRE_FALSE(ec);
    CHECK(texts(addresses) == std::vector<std::string>{"127.0.0.1:7"});
}

TEST_CASE("service names come from /etc/services", "[resolver]") {
    if (::access("/etc/services", R_OK) != 0) {
        WARN("no /etc/services (Debian: netbase)");
        return;
    }
    auto [addresses, ec] = resolve("127.0.0.1", "http");
    REQUIRE_FALSE(ec);
    CHECK(texts(addresses) == std::vector<std::string>{"127.0.0.1:80"});
    auto [udp, udp_ec] = resolve("127.0.0.1", "domain", {.transport = Transport::udp});
    REQUIRE_FALSE(udp_ec);
    CHECK(udp.front().port() == 53);
}

TEST_CASE("an empty host is loopback, or the wildcard for binding", "[resolver]") {
    auto [loopback, ec] = resolve("", "9000", {.family = AddressFamily::ipv4});
    REQUIRE_FALSE(ec);
    CHECK(texts(loopback) == std::vector<std::string>{"127.0.0.1:9000"});

    auto [wildcard, wildcard_ec] = resolve("", "9000", {.passive = true});
    REQUIRE_FALSE(wildcard_ec);
    const auto wildcards = texts(wildcard);
    CHECK((contains(wildcards, "0.0.0.0:9000") || contains(wildcards, "[::]:9000")));

    auto [port_zero, zero_ec] = resolve("127.0.0.1", "");
    REQUIRE_FALSE(zero_ec);
    CHECK(port_zero.front().port() == 0);
}

TEST_CASE("the family option filters the results", "[resolver]") {
    auto [v6_of_v4, ec] = resolve("127.0.0.1", "80", {.family = AddressFamily::ipv6});
    CHECK(ec);
    CHECK(v6_of_v4.empty());
    auto [v6, v6_ec] = resolve("::1", "80", {.family = AddressFamily::ipv6});
    REQUIRE_FALSE(v6_ec);
    CHECK(v6.front().family() == AF_INET6);
}

TEST_CASE("failures are getaddrinfo error codes with their messages", "[resolver]") {
    auto [none, ec] = resolve("not-a-number", "80", {.numeric_host = true});
    CHECK(none.empty());
    CHECK(ec == ResolveErrc::host_not_found);
    CHECK(ec.category().name() == std::string("getaddrinfo"));
    CHECK_FALSE(ec.message().empty());

    auto [bad_service, service_ec] = resolve("127.0.0.1", "no-such-service-here");
    CHECK(service_ec == ResolveErrc::service_not_found);
}

TEST_CASE("split_host_port handles names, IPv4 and bracketed IPv6", "[resolver]") {
    using Parts = std::pair<std::string_view, std::string_view>;
    CHECK(split_host_port("example.org:80") == Parts{"example.org", "80"});
    CHECK(split_host_port("127.0.0.1:http") == Parts{"127.0.0.1", "http"});
    CHECK(split_host_port("[::1]:8080") == Parts{"::1", "8080"});
    CHECK(split_host_port(":8080") == Parts{"", "8080"});
    CHECK(split_host_port("[::]:0") == Parts{"::", "0"});
    CHECK_FALSE(split_host_port("no-port"));
    CHECK_FALSE(split_host_port("::1:80"));   // IPv6 needs brackets
    CHECK_FALSE(split_host_port("[::1]80"));  // a colon after the bracket
    CHECK_FALSE(split_host_port("[::1"));
    CHECK_FALSE(split_host_port("[::1]:80:81"));  // a port has no colon
    CHECK_FALSE(split_host_port(""));
}

TEST_CASE("resolve_endpoint resolves HOST:PORT in one go", "[resolver]") {
    auto [addresses, ec] = resolve_endpoint("[::1]:0");
    REQUIRE_FALSE(ec);
    CHECK(texts(addresses) == std::vector<std::string>{"[::1]:0"});
    auto [none, bad_ec] = resolve_endpoint("missing-port");
    CHECK(bad_ec == ResolveErrc::host_not_found);
}

TEST_CASE("split_host_port takes any bytes without reading out of bounds", "[resolver]") {
    std::mt19937 random(8);  // fixed seed: the same cases every run
    const std::string alphabet = "[]:0123456789abcdef.";
    for (int round = 0; round < 5000; ++round) {
        std::string text(std::uniform_int_distribution<std::size_t>(0, 12)(random), ' ');
        for (char& c : text)
            c = alphabet[random() % alphabet.size()];
        const auto parts = split_host_port(text);
        if (!parts) continue;
        // Both parts lie inside the text, and the port part is what follows the last ':'.
        CHECK(parts->first.data() >= text.data());
        CHECK(parts->second.data() + parts->second.size() == text.data() + text.size());
        CHECK(parts->second.find(':') == std::string_view::npos);
    }
}
