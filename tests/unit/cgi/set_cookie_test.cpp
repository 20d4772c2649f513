#include "cgikit/set_cookie.hpp"

#include <catch2/catch.hpp>
#include <chrono>

using cgikit::format_set_cookie;
using cgikit::SameSite;
using cgikit::SetCookie;

namespace {

std::string format(const SetCookie& cookie) {
    std::string out;
    const cgikit::Error error = format_set_cookie(cookie, out);
    REQUIRE_FALSE(error);
    return out;
}

bool refused(const SetCookie& cookie) {
    std::string out = "untouched";
    const cgikit::Error error = format_set_cookie(cookie, out);
    if (error) CHECK(error.http_status() == 500);  // the program's mistake, not the client's
    return static_cast<bool>(error);
}

SetCookie cookie(std::string name, std::string value) {
    SetCookie c;
    c.name = std::move(name);
    c.value = std::move(value);
    return c;
}

}  // namespace

TEST_CASE("set_cookie: name=value alone", "[set_cookie]") {
    CHECK(format(cookie("id", "a3fWa")) == "id=a3fWa");
    CHECK(format(cookie("empty", "")) == "empty=");
    CHECK(format(cookie("q", "\"quoted\"")) == "q=\"quoted\"");
}

TEST_CASE("set_cookie: every attribute, in a fixed order", "[set_cookie]") {
    SetCookie c = cookie("session", "abc123");
    c.expires = std::chrono::sys_seconds{std::chrono::seconds{784111777}};  // RFC 9110's example
    c.max_age = std::chrono::seconds{3600};
    c.domain = "example.com";
    c.path = "/app";
    c.secure = true;
    c.http_only = true;
    c.same_site = SameSite::none;
    c.partitioned = true;
    CHECK(format(c) ==
          "session=abc123; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=3600; "
          "Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=None; Partitioned");
}

TEST_CASE("set_cookie: SameSite values", "[set_cookie]") {
    SetCookie c = cookie("a", "1");
    c.same_site = SameSite::strict;
    CHECK(format(c) == "a=1; SameSite=Strict");
    c.same_site = SameSite::lax;
    CHECK(format(c) == "a=1; SameSite=Lax");
}

TEST_CASE("set_cookie: refuses names that are not tokens", "[set_cookie]") {
    CHECK(refused(cookie("", "1")));
    CHECK(refused(cookie("a b", "1")));
    CHECK(refused(cookie("a=b", "1")));
    CHECK(refused(cookie("a;b", "1")));
    CHECK(refused(cookie("a\r\nb", "1")));
    CHECK(refused(cookie("n\xc3\xa9", "1")));
}

TEST_CASE("set_cookie: refuses values outside cookie-octet", "[set_cookie]") {
    for (const char* value : {"a b", "a;b", "a,b", "a\\b", "a\"b", "\"a", "a\r\nSet-Cookie: x=1",
                              "tab\there", "caf\xc3\xa9"}) {
        INFO(value);
        CHECK(refused(cookie("n", value)));
    }
    CHECK(refused(cookie("n", std::string("a\0b", 3))));
    CHECK(refused(cookie("n", std::string(5000, 'x'))));
}

TEST_CASE("set_cookie: cookie_value_encode makes any value acceptable", "[set_cookie]") {
    const std::string encoded = cgikit::cookie_value_encode("a b;c,d\"e\\f%\xff");
    CHECK(encoded == "a%20b%3Bc%2Cd%22e%5Cf%25%FF");
    CHECK_FALSE(refused(cookie("n", encoded)));
}

TEST_CASE("set_cookie: refuses attributes that would break the header", "[set_cookie]") {
    SetCookie c = cookie("a", "1");
    c.path = "/x; Secure";
    CHECK(refused(c));
    c.path = "/x\r\n";
    CHECK(refused(c));
    c.path = "/";
    c.domain = "example.com; x";
    CHECK(refused(c));
    c.domain = "exa mple.com";
    CHECK(refused(c));
    c.domain = ".example.com";
    CHECK_FALSE(refused(c));
}

TEST_CASE("set_cookie: SameSite=None and Partitioned require Secure", "[set_cookie]") {
    SetCookie c = cookie("a", "1");
    c.same_site = SameSite::none;
    CHECK(refused(c));
    c.secure = true;
    CHECK_FALSE(refused(c));
    SetCookie p = cookie("a", "1");
    p.partitioned = true;
    CHECK(refused(p));
    p.secure = true;
    CHECK_FALSE(refused(p));
}

TEST_CASE("set_cookie: __Secure- and __Host- prefixes", "[set_cookie]") {
    SetCookie s = cookie("__Secure-id", "1");
    CHECK(refused(s));
    s.secure = true;
    CHECK_FALSE(refused(s));
    SetCookie h = cookie("__Host-id", "1");
    h.secure = true;
    CHECK(refused(h));  // no Path=/
    h.path = "/";
    CHECK_FALSE(refused(h));
    h.domain = "example.com";
    CHECK(refused(h));
}

// Browsers match the prefixes case-insensitively (RFC 6265bis §5.7; Chrome, Firefox, Safari):
// "__HOST-id" without Secure would be dropped, and a server comparing names case-insensitively
// would take it for the protected cookie.
TEST_CASE("set_cookie: the name prefixes are matched in any case", "[set_cookie]") {
    for (const char* name : {"__SECURE-id", "__secure-id", "__HOST-id", "__host-id", "__hOsT-id"}) {
        INFO(name);
        SetCookie c = cookie(name, "1");
        CHECK(refused(c));
        c.secure = true;
        c.path = "/";
        CHECK_FALSE(refused(c));
    }
    SetCookie h = cookie("__HOST-id", "1");
    h.secure = true;
    CHECK(refused(h));  // no Path=/
    h.path = "/";
    h.domain = "example.com";
    CHECK(refused(h));
    CHECK_FALSE(refused(cookie("__Hostess", "1")));  // no '-': not a prefix
}

// RFC 6265 §5.2.4: a Path that does not start with '/' is ignored by the user agent, which stores
// the cookie under the default path, so a deletion with the same Path later misses it. RFC 6265bis
// §5.6: attribute values over 1024 bytes are ignored too.
TEST_CASE("set_cookie: Path must start with a slash and fit 1024 bytes", "[set_cookie]") {
    SetCookie c = cookie("a", "1");
    for (const char* path : {"app", "app/x", "?x", "%2Fapp"}) {
        INFO(path);
        c.path = path;
        CHECK(refused(c));
    }
    c.path = "/" + std::string(1023, 'p');
    CHECK(format(c).ends_with("; Path=" + c.path));
    c.path += 'p';
    CHECK(refused(c));
    c.path = "";
    CHECK(format(c) == "a=1");
}

TEST_CASE("set_cookie: deletion and non-positive Max-Age", "[set_cookie]") {
    CHECK(format(SetCookie::deletion("id")) ==
          "id=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/");
    SetCookie c = cookie("a", "1");
    c.max_age = std::chrono::seconds{-5};
    CHECK(format(c) == "a=1; Max-Age=0");
}

TEST_CASE("set_cookie: dates are IMF-fixdate", "[set_cookie]") {
    using namespace std::chrono;
    CHECK(cgikit::format_http_date(sys_seconds{}) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(cgikit::format_http_date(sys_days{year{2038} / January / 19} + hours{3} + minutes{14} +
                                   seconds{8}) == "Tue, 19 Jan 2038 03:14:08 GMT");
    CHECK(cgikit::format_http_date(sys_days{year{2000} / February / 29}) ==
          "Tue, 29 Feb 2000 00:00:00 GMT");
    SetCookie c = cookie("a", "1");
    c.expires = sys_days{year{10000} / January / 1};
    CHECK(refused(c));
}
