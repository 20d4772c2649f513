#include "net/unix_address.hpp"

#include <catch2/catch.hpp>
#include <string>

using cgikit::net::UnixAddress;

TEST_CASE("a path address keeps its path", "[unix_address]") {
    const auto address = UnixAddress::from_path("/run/app.sock");
    REQUIRE(address);
    CHECK_FALSE(address->is_abstract());
    CHECK_FALSE(address->is_unnamed());
    CHECK(address->name() == "/run/app.sock");
    CHECK(address->to_string() == "/run/app.sock");
    CHECK(address->data()->sa_family == AF_UNIX);
}

TEST_CASE("paths must fit sun_path with their terminator and hold no NUL", "[unix_address]") {
    const std::string longest(UnixAddress::max_name_bytes, 'p');
    CHECK(UnixAddress::from_path(longest));
    CHECK_FALSE(UnixAddress::from_path(longest + "p"));
    CHECK_FALSE(UnixAddress::from_path(""));
    CHECK_FALSE(UnixAddress::from_path(std::string("a\0b", 3)));
}

TEST_CASE("abstract names are written with @", "[unix_address]") {
    const auto address = UnixAddress::abstract("cgikit");
    REQUIRE(address);
    CHECK(address->is_abstract());
    CHECK(address->name() == "cgikit");
    CHECK(address->to_string() == "@cgikit");
    CHECK(UnixAddress::parse("@cgikit") == address);
    CHECK(UnixAddress::parse("/tmp/x") == UnixAddress::from_path("/tmp/x"));
    CHECK_FALSE(UnixAddress::abstract(""));
    CHECK(UnixAddress::abstract(std::string(UnixAddress::max_name_bytes, 'a')));
    CHECK_FALSE(UnixAddress::abstract(std::string(UnixAddress::max_name_bytes + 1, 'a')));
    // Abstract names are byte strings: a NUL inside is part of the name.
    const auto with_nul = UnixAddress::abstract(std::string("a\0b", 3));
    REQUIRE(with_nul);
    CHECK(with_nul->name() == std::string("a\0b", 3));
}

TEST_CASE("the default address is unnamed", "[unix_address]") {
    const UnixAddress unnamed;
    CHECK(unnamed.is_unnamed());
    CHECK_FALSE(unnamed.is_abstract());
    CHECK(unnamed.name().empty());
    CHECK(unnamed.to_string() == "(unnamed)");
    CHECK(unnamed.size() == sizeof(sa_family_t));
}

TEST_CASE("from_sockaddr round-trips, with or without the path's NUL", "[unix_address]") {
    const auto path = *UnixAddress::from_path("/tmp/round");
    CHECK(UnixAddress::from_sockaddr(path.data(), path.size()) == path);
    // Some callers count the terminator, some do not: both mean the same path.
    CHECK(UnixAddress::from_sockaddr(path.data(), path.size() - 1) == path);

    const auto abstract = *UnixAddress::abstract("trip");
    CHECK(UnixAddress::from_sockaddr(abstract.data(), abstract.size()) == abstract);

    const UnixAddress unnamed;
    CHECK(UnixAddress::from_sockaddr(unnamed.data(), unnamed.size()).is_unnamed());
    CHECK(UnixAddress::from_sockaddr(nullptr, 0).is_unnamed());

    sockaddr_un full{};
    full.sun_family = AF_UNIX;
    std::fill(std::begin(full.sun_path), std::end(full.sun_path), 'f');  // no terminator at all
    const auto filled =
        UnixAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&full), sizeof full);
    CHECK(filled.name() == std::string(sizeof full.sun_path, 'f'));
}

TEST_CASE("addresses of different kinds or names differ", "[unix_address]") {
    CHECK_FALSE(*UnixAddress::from_path("/a") == *UnixAddress::from_path("/b"));
    CHECK_FALSE(*UnixAddress::from_path("/a") == *UnixAddress::abstract("/a"));
    CHECK_FALSE(UnixAddress() == *UnixAddress::abstract("x"));
}
