#pragma once
// The Cookie request header (RFC 6265 §4.2 syntax, parsed leniently as user agents send it, in the
// spirit of §5.2 and §5.4): `a=1; b=2`. Building Set-Cookie is in set_cookie.hpp.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cgikit {

// Splits on ';', trims spaces and tabs around names and values, strips one pair of surrounding
// double quotes from a value (RFC 6265 §4.1.1 cookie-value), and keeps duplicates in order (the
// first is the most specific path, §5.4 step 2). A piece without '=' or with an empty name is
// malformed and skipped alone: "a=1; e; c=3" gives a=1 and c=3. Values are not percent-decoded.
std::vector<std::pair<std::string, std::string>> parse_cookie_header(std::string_view header);

}  // namespace cgikit
