#include "http/byte_range.hpp"

#include <catch2/catch.hpp>

using cgikit::http::ByteRange;
using cgikit::http::content_range;
using cgikit::http::parse_range;
using cgikit::http::RangeOutcome;
using cgikit::http::unsatisfied_content_range;

namespace {

ByteRange satisfiable(std::string_view value, std::uint64_t size) {
    auto result = parse_range(value, size);
    INFO("Range: " << value << " size " << size);
    REQUIRE(result.outcome == RangeOutcome::Satisfiable);
    CHECK(result.range.length >= 1);
    CHECK(result.range.first + result.range.length <= size);
    return result.range;
}

RangeOutcome outcome(std::string_view value, std::uint64_t size = 10) {
    return parse_range(value, size).outcome;
}

}  // namespace

TEST_CASE("int-range first-last", "[byte_range]") {
    CHECK(satisfiable("bytes=0-3", 10) == ByteRange{0, 4});
    CHECK(satisfiable("bytes=0-0", 10) == ByteRange{0, 1});
    CHECK(satisfiable("bytes=9-9", 10) == ByteRange{9, 1});
    CHECK(satisfiable("bytes=2-9", 10) == ByteRange{2, 8});
    CHECK(satisfiable("bytes=0-9", 10) == ByteRange{0, 10});
    CHECK(satisfiable("bytes=007-008", 10) == ByteRange{7, 2});  // leading zeros are digits
}

TEST_CASE("last-pos beyond the end is clamped", "[byte_range]") {
    CHECK(satisfiable("bytes=0-10", 10) == ByteRange{0, 10});
    CHECK(satisfiable("bytes=5-1000", 10) == ByteRange{5, 5});
    CHECK(satisfiable("bytes=9-18446744073709551615", 10) == ByteRange{9, 1});
}

TEST_CASE("int-range without last-pos runs to the end", "[byte_range]") {
    CHECK(satisfiable("bytes=3-", 10) == ByteRange{3, 7});
    CHECK(satisfiable("bytes=0-", 10) == ByteRange{0, 10});
    CHECK(satisfiable("bytes=9-", 10) == ByteRange{9, 1});
}

TEST_CASE("suffix-range takes the last bytes", "[byte_range]") {
    CHECK(satisfiable("bytes=-3", 10) == ByteRange{7, 3});
    CHECK(satisfiable("bytes=-1", 10) == ByteRange{9, 1});
    CHECK(satisfiable("bytes=-10", 10) == ByteRange{0, 10});
    CHECK(satisfiable("bytes=-11", 10) == ByteRange{0, 10});  // shorter file: all of it
    CHECK(satisfiable("bytes=-18446744073709551615", 10) == ByteRange{0, 10});
    CHECK(satisfiable("bytes=-5", 1) == ByteRange{0, 1});
}

TEST_CASE("large representations", "[byte_range]") {
    const std::uint64_t big = 1ull << 40;
    CHECK(satisfiable("bytes=1099511627775-", big) == ByteRange{big - 1, 1});
    CHECK(satisfiable("bytes=-1", big) == ByteRange{big - 1, 1});
    CHECK(satisfiable("bytes=0-", UINT64_MAX) == ByteRange{0, UINT64_MAX});
    CHECK(outcome("bytes=1099511627776-", big) == RangeOutcome::Unsatisfiable);
}

TEST_CASE("the range unit is case-insensitive", "[byte_range]") {
    CHECK(satisfiable("BYTES=0-3", 10) == ByteRange{0, 4});
    CHECK(satisfiable("Bytes=-2", 10) == ByteRange{8, 2});
}

TEST_CASE("first-pos at or past the end is unsatisfiable", "[byte_range]") {
    CHECK(outcome("bytes=10-") == RangeOutcome::Unsatisfiable);
    CHECK(outcome("bytes=10-20") == RangeOutcome::Unsatisfiable);
    CHECK(outcome("bytes=11-11") == RangeOutcome::Unsatisfiable);
    CHECK(outcome("bytes=18446744073709551615-") == RangeOutcome::Unsatisfiable);
}

TEST_CASE("a zero suffix is unsatisfiable", "[byte_range]") {
    CHECK(outcome("bytes=-0") == RangeOutcome::Unsatisfiable);
    CHECK(outcome("bytes=-000") == RangeOutcome::Unsatisfiable);
}

// RFC 9110 §14.1.2 calls "bytes=-1" of an empty representation satisfiable, but a 206 cannot carry
// zero bytes; the whole empty file is sent (200), as nginx, Apache and lighttpd answer any range.
TEST_CASE("a valid range of an empty file is ignored", "[byte_range]") {
    CHECK(outcome("bytes=0-", 0) == RangeOutcome::Ignore);
    CHECK(outcome("bytes=0-0", 0) == RangeOutcome::Ignore);
    CHECK(outcome("bytes=5-9", 0) == RangeOutcome::Ignore);
    CHECK(outcome("bytes=-1", 0) == RangeOutcome::Ignore);
    CHECK(outcome("bytes=-0", 0) == RangeOutcome::Ignore);
    CHECK(outcome("BYTES=0-", 0) == RangeOutcome::Ignore);
    // A malformed range stays a 416, whatever the size (our policy, see byte_range.hpp).
    CHECK(outcome("bytes=5-2", 0) == RangeOutcome::Unsatisfiable);
    CHECK(outcome("bytes=", 0) == RangeOutcome::Unsatisfiable);
}

TEST_CASE("malformed ranges are unsatisfiable", "[byte_range]") {
    for (std::string_view bad : {
             "bytes=",
             "bytes",
             "bytes=,",
             "bytes= ,",
             "bytes=-",
             "bytes=--1",
             "bytes=1--2",
             "bytes=0-1-2",
             "bytes=a-b",
             "bytes=1-b",
             "bytes=a-1",
             "bytes=-a",
             "bytes=5-2",
             "bytes=1",
             "bytes=+1-2",
             "bytes=-+1",
             "bytes=0x1-2",
             "bytes=1.5-2",
             "bytes=0-3;",
             "bytes=0-3 x",
             "bytes=0-3x",
             "bytes=18446744073709551616-",
             "bytes=0-18446744073709551616",
             "bytes=-18446744073709551616",
             "bytes=99999999999999999999999999-",
             "bytes= 0-3",  // OWS only next to commas
             "bytes=0 -3",
             "bytes=0- 3",
             "bytes =0-3",
             "bytes==0-3",
             "=0-3",
             "",
             "bytes=0-3,a",  // one bad element spoils the set
             "bytes=a,0-3",
             "bytes=0-1,5-2",
             "bytes=\x80-1",
         }) {
        INFO("Range: " << bad);
        CHECK(outcome(bad) == RangeOutcome::Unsatisfiable);
    }
}

TEST_CASE("unknown range units are ignored", "[byte_range]") {
    CHECK(outcome("items=0-3") == RangeOutcome::Ignore);
    CHECK(outcome("bits=0-3") == RangeOutcome::Ignore);
    CHECK(outcome("byte=0-3") == RangeOutcome::Ignore);
    CHECK(outcome("bytesx=0-3") == RangeOutcome::Ignore);
    CHECK(outcome("none") == RangeOutcome::Ignore);
    CHECK(outcome("x=whatever, it=says") == RangeOutcome::Ignore);
}

TEST_CASE("several ranges are ignored (whole file)", "[byte_range]") {
    CHECK(outcome("bytes=0-1,3-4") == RangeOutcome::Ignore);
    CHECK(outcome("bytes=0-1, 3-4") == RangeOutcome::Ignore);
    CHECK(outcome("bytes=-1,0-") == RangeOutcome::Ignore);
    CHECK(outcome("bytes=0-0,0-0") == RangeOutcome::Ignore);
    CHECK(outcome("bytes=20-30,40-50") == RangeOutcome::Ignore);  // even if none is satisfiable
}

TEST_CASE("OWS around commas and empty list elements", "[byte_range]") {
    CHECK(satisfiable("bytes=0-3,", 10) == ByteRange{0, 4});
    CHECK(satisfiable("bytes=0-3 ,", 10) == ByteRange{0, 4});
    CHECK(satisfiable("bytes=0-3 , \t,", 10) == ByteRange{0, 4});
    CHECK(satisfiable("bytes=,0-3", 10) == ByteRange{0, 4});
    CHECK(satisfiable("bytes=, \t0-3", 10) == ByteRange{0, 4});
    CHECK(satisfiable(" bytes=0-3 ", 10) == ByteRange{0, 4});  // field OWS
}

TEST_CASE("Content-Range values", "[byte_range]") {
    CHECK(content_range({0, 4}, 10) == "bytes 0-3/10");
    CHECK(content_range({9, 1}, 10) == "bytes 9-9/10");
    CHECK(content_range({0, UINT64_MAX}, UINT64_MAX) ==
          "bytes 0-18446744073709551614/18446744073709551615");
    CHECK(unsatisfied_content_range(10) == "bytes */10");
    CHECK(unsatisfied_content_range(0) == "bytes */0");
}

TEST_CASE("every satisfiable range of a small file stays inside it", "[byte_range]") {
    for (std::uint64_t size = 0; size < 6; ++size) {
        for (int first = 0; first < 8; ++first) {
            for (int last = first; last < 8; ++last) {
                std::string value = "bytes=" + std::to_string(first) + "-" + std::to_string(last);
                auto result = parse_range(value, size);
                INFO(value << " size " << size);
                if (size == 0) {
                    CHECK(result.outcome == RangeOutcome::Ignore);  // see the empty-file case
                } else if (static_cast<std::uint64_t>(first) >= size) {
                    CHECK(result.outcome == RangeOutcome::Unsatisfiable);
                } else {
                    REQUIRE(result.outcome == RangeOutcome::Satisfiable);
                    CHECK(result.range.first == static_cast<std::uint64_t>(first));
                    CHECK(result.range.first + result.range.length - 1 ==
                          std::min<std::uint64_t>(static_cast<std::uint64_t>(last), size - 1));
                }
            }
        }
    }
}
