#include "cgikit/cookie.hpp"

#include <catch2/catch.hpp>

namespace {
using Cookies = std::vector<std::pair<std::string, std::string>>;
}

TEST_CASE("parse_cookie_header reads name=value pairs separated by '; '") {
    CHECK(cgikit::parse_cookie_header("a=1; b=2") == Cookies{{"a", "1"}, {"b", "2"}});
    CHECK(cgikit::parse_cookie_header("SID=31d4d96e407aad42; lang=en-US") ==
          Cookies{{"SID", "31d4d96e407aad42"}, {"lang", "en-US"}});
}

TEST_CASE("parse_cookie_header skips only the malformed piece") {
    CHECK(cgikit::parse_cookie_header("a=1; e; c=3") == Cookies{{"a", "1"}, {"c", "3"}});
    CHECK(cgikit::parse_cookie_header("a=1; =2; c=3") == Cookies{{"a", "1"}, {"c", "3"}});
    CHECK(cgikit::parse_cookie_header(";;a=1;;") == Cookies{{"a", "1"}});
}

TEST_CASE("parse_cookie_header trims spaces and tabs around names and values") {
    CHECK(cgikit::parse_cookie_header("  a = 1 ;\tb\t=\t2\t") == Cookies{{"a", "1"}, {"b", "2"}});
    CHECK(cgikit::parse_cookie_header("a=1;b=2") == Cookies{{"a", "1"}, {"b", "2"}});
    CHECK(cgikit::parse_cookie_header("a=x y") == Cookies{{"a", "x y"}});  // inner space kept
}

TEST_CASE("parse_cookie_header strips exactly one pair of surrounding double quotes") {
    CHECK(cgikit::parse_cookie_header("a=\"1\"") == Cookies{{"a", "1"}});
    CHECK(cgikit::parse_cookie_header("a=\"\"") == Cookies{{"a", ""}});
    CHECK(cgikit::parse_cookie_header("a=\"\"x\"\"") == Cookies{{"a", "\"x\""}});
    CHECK(cgikit::parse_cookie_header("a=\"x") == Cookies{{"a", "\"x"}});
    CHECK(cgikit::parse_cookie_header("a=\"") == Cookies{{"a", "\""}});
    CHECK(cgikit::parse_cookie_header("a= \"x y\" ") == Cookies{{"a", "x y"}});
}

TEST_CASE("parse_cookie_header keeps duplicates in order and values with '='") {
    CHECK(cgikit::parse_cookie_header("a=1; a=2; b=x=y") ==
          Cookies{{"a", "1"}, {"a", "2"}, {"b", "x=y"}});
}

TEST_CASE("parse_cookie_header accepts empty values and does not percent-decode") {
    CHECK(cgikit::parse_cookie_header("a=; b=%41+") == Cookies{{"a", ""}, {"b", "%41+"}});
}

TEST_CASE("parse_cookie_header of an empty or blank header is empty") {
    CHECK(cgikit::parse_cookie_header("").empty());
    CHECK(cgikit::parse_cookie_header(" ; ; ").empty());
}
