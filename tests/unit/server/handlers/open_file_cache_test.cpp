#include "handlers/open_file_cache.hpp"

#include <fcntl.h>

#include <catch2/catch.hpp>
#include <string>

#include "../net/open_descriptors.hpp"

using cgikit::handlers::OpenFile;
using cgikit::handlers::OpenFileCache;
using cgikit::net::testing::open_descriptor_count;
using namespace std::chrono_literals;

namespace {

OpenFile small_file(std::string contents) {
    OpenFile file;
    file.status.st_size = static_cast<off_t>(contents.size());
    file.etag = "\"" + contents + "\"";
    file.inline_contents = true;
    file.contents = std::move(contents);
    return file;
}

}  // namespace

TEST_CASE("OpenFileCache serves an entry until its time to live is over", "[open_file_cache]") {
    OpenFileCache cache;
    const auto t0 = OpenFileCache::Clock::time_point{} + 1000s;
    CHECK(cache.find("/a", t0) == nullptr);
    const OpenFile& stored = cache.insert("/a", small_file("alpha"), t0);
    CHECK(stored.contents == "alpha");

    const OpenFile* hit = cache.find("/a", t0 + OpenFileCache::kTimeToLive - 1ns);
    REQUIRE(hit != nullptr);
    CHECK(hit->etag == "\"alpha\"");
    CHECK(cache.find("/b", t0) == nullptr);

    CHECK(cache.find("/a", t0 + OpenFileCache::kTimeToLive) == nullptr);  // expired: dropped
    CHECK(cache.size() == 0);
}

TEST_CASE("OpenFileCache replaces an entry inserted again", "[open_file_cache]") {
    OpenFileCache cache;
    const auto t0 = OpenFileCache::Clock::time_point{} + 1000s;
    cache.insert("/a", small_file("old"), t0);
    cache.insert("/a", small_file("new"), t0 + 10ms);
    CHECK(cache.size() == 1);
    REQUIRE(cache.find("/a", t0 + 20ms) != nullptr);
    CHECK(cache.find("/a", t0 + 20ms)->contents == "new");
}

TEST_CASE("OpenFileCache stays within its bounds", "[open_file_cache]") {
    OpenFileCache cache;
    const auto t0 = OpenFileCache::Clock::time_point{} + 1000s;

    SECTION("never more than kMaxEntries files") {
        for (std::size_t i = 0; i < 3 * OpenFileCache::kMaxEntries; ++i)
            cache.insert("/f" + std::to_string(i), small_file("x"), t0);
        CHECK(cache.size() == OpenFileCache::kMaxEntries);
    }
    SECTION("expired entries make room first") {
        for (std::size_t i = 0; i < OpenFileCache::kMaxEntries; ++i)
            cache.insert("/old" + std::to_string(i), small_file("x"), t0);
        const auto later = t0 + OpenFileCache::kTimeToLive;
        cache.insert("/new", small_file("y"), later);
        CHECK(cache.size() == 1);
        CHECK(cache.find("/new", later) != nullptr);
    }
    SECTION("only files up to kMaxFileBytes are accepted") {
        OpenFile big;
        big.status.st_size = static_cast<off_t>(OpenFileCache::kMaxFileBytes + 1);
        CHECK_FALSE(OpenFileCache::accepts(big));
        big.status.st_size = static_cast<off_t>(OpenFileCache::kMaxFileBytes);
        CHECK(OpenFileCache::accepts(big));
    }
}

TEST_CASE("OpenFileCache closes the descriptors it drops", "[open_file_cache]") {
    const std::size_t before = open_descriptor_count();
    {
        OpenFileCache cache;
        const auto t0 = OpenFileCache::Clock::time_point{} + 1000s;
        OpenFile file;
        file.status.st_size = 100000;
        file.fd = cgikit::net::unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        cache.insert("/a", std::move(file), t0);
        file = OpenFile{};
        file.fd = cgikit::net::unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        cache.insert("/b", std::move(file), t0);
        cache.insert("/inline", small_file("bytes, no descriptor"), t0);
        CHECK(open_descriptor_count() == before + 2);
        CHECK(cache.open_descriptors() == 2);  // what the cache adds to the open files
        cache.purge_expired(t0 + OpenFileCache::kTimeToLive);
        CHECK(cache.size() == 0);
        CHECK(cache.open_descriptors() == 0);
        CHECK(open_descriptor_count() == before);
        file = OpenFile{};
        file.fd = cgikit::net::unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        cache.insert("/c", std::move(file), t0);
    }
    CHECK(open_descriptor_count() == before);  // the destructor closes the rest
}
