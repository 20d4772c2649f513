#pragma once
// The Set-Cookie response header (RFC 6265 §4.1, plus the SameSite and Partitioned attributes of
// RFC 6265bis / CHIPS). The builder refuses, as an error value, anything that would break the
// header or that browsers would silently drop, instead of escaping it in some ad-hoc way: a value
// that is not cookie-octets must be encoded by the program (cookie_value_encode does that).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cgikit/error.hpp"

namespace cgikit {

enum class SameSite {
    unset,   // no attribute: the browser's default (Lax in current browsers)
    strict,  // never sent on cross-site requests
    lax,     // sent on top-level cross-site navigations with safe methods
    none,    // sent everywhere; browsers require Secure with it
};

struct SetCookie {
    std::string name;   // a token (RFC 9110 §5.6.2)
    std::string value;  // cookie-octets, optionally in double quotes (RFC 6265 §4.1.1)
    std::optional<std::chrono::sys_seconds> expires;  // written as an IMF-fixdate
    // Seconds until expiry; zero or negative deletes the cookie (written as Max-Age=0).
    std::optional<std::chrono::seconds> max_age;
    std::string domain;  // "" = host-only cookie
    std::string path;  // "" = the default path (the request path's directory); else starts with '/'
    bool secure = false;
    bool http_only = false;
    SameSite same_site = SameSite::unset;
    bool partitioned = false;  // CHIPS: requires Secure

    // A cookie that tells the browser to delete `name` (same Path/Domain as when it was set).
    static SetCookie deletion(std::string name, std::string path = "/", std::string domain = "");
};

// Everything a browser accepts for one cookie (RFC 6265 §6.1: at least 4096 bytes per cookie):
// name + value beyond this would be dropped silently, so the builder refuses it.
inline constexpr std::size_t kMaxCookieNameValueBytes = 4096;
// Browsers ignore a Path (or other attribute) value longer than this (RFC 6265bis §5.6).
inline constexpr std::size_t kMaxCookieAttributeBytes = 1024;

// The header value "name=value; Path=/; Secure; ...". Refused (Errc::internal_error, the
// program's mistake) when: the name is not a token; the value has a byte outside cookie-octet
// (CTLs, space, '"' other than enclosing quotes, ',', ';', '\\', non-ASCII); name + value exceed
// kMaxCookieNameValueBytes; Domain is not a host name; Path does not start with '/', is over
// kMaxCookieAttributeBytes, or has a CTL, ';' or non-ASCII byte; SameSite=None or Partitioned
// without Secure; the __Secure- / __Host- name prefixes, in any case, without what they demand
// (RFC 6265bis §4.1.3, matched case-insensitively by browsers).
Error format_set_cookie(const SetCookie& cookie, std::string& out);

// Percent-encodes every byte that is not a cookie-octet, and '%' itself, so that any string can be
// stored; percent_decode (urlencoded.hpp) reverses it on the next request.
std::string cookie_value_encode(std::string_view value);

// An IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(std::chrono::sys_seconds time);

}  // namespace cgikit
