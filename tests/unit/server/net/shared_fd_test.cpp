#include "net/shared_fd.hpp"

#include <fcntl.h>

#include <catch2/catch.hpp>

#include "open_descriptors.hpp"

using cgikit::net::SharedFd;
using cgikit::net::unique_fd;
using cgikit::net::testing::open_descriptor_count;

TEST_CASE("SharedFd closes with its last owner", "[shared_fd]") {
    const std::size_t before = open_descriptor_count();
    SharedFd first = unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    REQUIRE(first.valid());
    const int fd = first.get();
    CHECK(open_descriptor_count() == before + 1);
    {
        SharedFd second = first;
        CHECK(second.get() == fd);
        first.reset();
        CHECK_FALSE(first);
        CHECK(first.get() == -1);
        CHECK(open_descriptor_count() == before + 1);  // second still holds it
    }
    CHECK(open_descriptor_count() == before);
}

TEST_CASE("SharedFd of nothing is empty", "[shared_fd]") {
    SharedFd none = unique_fd();
    CHECK_FALSE(none.valid());
    CHECK(none.get() == -1);
    SharedFd defaulted;
    CHECK_FALSE(defaulted);
}
