// Typed, validated access to name/value pairs.
#include "cgikit/params.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>

using cgikit::Params;
using cgikit::parse_as;

TEST_CASE("params: integers parse strictly and within range", "[params]") {
    CHECK(parse_as<int>("42") == 42);
    CHECK(parse_as<int>("-7") == -7);
    CHECK(parse_as<int>("0") == 0);
    CHECK(parse_as<int>("007") == 7);
    CHECK_FALSE(parse_as<int>(""));
    CHECK_FALSE(parse_as<int>("+1"));
    CHECK_FALSE(parse_as<int>(" 1"));
    CHECK_FALSE(parse_as<int>("1 "));
    CHECK_FALSE(parse_as<int>("12abc"));
    CHECK_FALSE(parse_as<int>("1.0"));
    CHECK_FALSE(parse_as<int>("0x10"));
    CHECK(parse_as<int>("2147483647") == std::numeric_limits<int>::max());
    CHECK_FALSE(parse_as<int>("2147483648"));
    CHECK(parse_as<int>("-2147483648") == std::numeric_limits<int>::min());
    CHECK_FALSE(parse_as<int>("-2147483649"));
    CHECK_FALSE(parse_as<unsigned>("-1"));
    CHECK_FALSE(parse_as<std::uint8_t>("256"));
    CHECK(parse_as<std::uint64_t>("18446744073709551615") == UINT64_MAX);
    CHECK_FALSE(parse_as<std::uint64_t>("18446744073709551616"));
    CHECK_FALSE(parse_as<int>(std::string_view("1\0", 2)));
}

TEST_CASE("params: floating point is finite and complete", "[params]") {
    CHECK(parse_as<double>("1.5") == 1.5);
    CHECK(parse_as<double>("-2e3") == -2000.0);
    CHECK_FALSE(parse_as<double>("inf"));
    CHECK_FALSE(parse_as<double>("nan"));
    CHECK_FALSE(parse_as<double>("1e999"));
    CHECK_FALSE(parse_as<double>("1.5x"));
    CHECK_FALSE(parse_as<double>(""));
}

TEST_CASE("params: booleans accept what forms send", "[params]") {
    for (const char* yes : {"1", "true", "on", "yes", "TRUE", "On"})
        CHECK(parse_as<bool>(yes) == true);
    for (const char* no : {"0", "false", "off", "no", "No"})
        CHECK(parse_as<bool>(no) == false);
    CHECK_FALSE(parse_as<bool>(""));
    CHECK_FALSE(parse_as<bool>("2"));
    CHECK_FALSE(parse_as<bool>("yes please"));
}

TEST_CASE("params: lookups keep order and duplicates", "[params]") {
    const Params params({{"a", "1"}, {"b", "x"}, {"a", "2"}, {"empty", ""}});
    CHECK(params.size() == 4);
    CHECK(params.get("a") == "1");
    CHECK(params.get_all("a") == std::vector<std::string_view>{"1", "2"});
    CHECK(params.count("a") == 2);
    CHECK(params.contains("empty"));
    CHECK(params.get("empty") == "");
    CHECK_FALSE(params.get("A"));  // names are case-sensitive bytes
    CHECK_FALSE(params.contains("missing"));
    CHECK(params.get<int>("a") == 1);
    CHECK_FALSE(params.get<int>("b"));
    CHECK_FALSE(params.get<int>("missing"));
    CHECK(params.get<std::string>("b") == "x");
}

TEST_CASE("params: range checks", "[params]") {
    const Params params({{"n", "15"}, {"neg", "-3"}, {"x", "0.5"}});
    CHECK(params.get<int>("n", 1, 20) == 15);
    CHECK_FALSE(params.get<int>("n", 1, 10));
    CHECK_FALSE(params.get<int>("neg", 0, 10));
    CHECK(params.get<double>("x", 0.0, 1.0) == 0.5);
    CHECK_FALSE(params.get<int>("missing", 0, 10));
}

TEST_CASE("params: one_of accepts exactly one allowed value", "[params]") {
    const Params params({{"color", "red"}, {"size", "XL"}, {"twice", "a"}, {"twice", "a"}});
    CHECK(params.one_of("color", {"red", "green", "blue"}) == "red");
    CHECK_FALSE(params.one_of("size", {"S", "M", "L"}));
    CHECK_FALSE(params.one_of("twice", {"a"}));
    CHECK_FALSE(params.one_of("missing", {"a"}));
    const std::vector<std::string_view> allowed = {"XL", "XXL"};
    CHECK(params.one_of("size", allowed) == "XL");
}

TEST_CASE("params: all_of accepts only allowed values", "[params]") {
    const Params params({{"tag", "a"}, {"tag", "c"}, {"other", "z"}, {"bad", "a"}, {"bad", "q"}});
    const auto tags = params.all_of("tag", {"a", "b", "c"});
    REQUIRE(tags);
    CHECK(*tags == std::vector<std::string_view>{"a", "c"});
    CHECK_FALSE(params.all_of("bad", {"a", "b"}));
    const auto none = params.all_of("missing", {"a"});
    REQUIRE(none);
    CHECK(none->empty());
}

TEST_CASE("params: UTF-8 access", "[params]") {
    const Params params({{"good", "caf\xc3\xa9"}, {"bad", "a\xff"}});
    CHECK(params.get_utf8("good") == "caf\xc3\xa9");
    CHECK_FALSE(params.get_utf8("bad"));
    CHECK(params.get("bad") == "a\xff");  // bytes stay available
    CHECK(params.get_text("bad") == "a\xef\xbf\xbd");
    CHECK_FALSE(params.all_valid_utf8());
    CHECK(Params(cgikit::Fields{{"k", "v"}}).all_valid_utf8());
    CHECK_FALSE(Params(cgikit::Fields{{"\xc0", "v"}}).all_valid_utf8());
}
