#pragma once
// UTF-8 validation and repair (RFC 3629; WHATWG Encoding Standard §4.1 "UTF-8 decode"). Form
// values and filenames are bytes; a program that emits them into HTML or JSON needs valid UTF-8.
#include <string>
#include <string_view>

namespace cgikit {

// Strict: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
bool is_valid_utf8(std::string_view bytes) noexcept;

// `bytes` with each maximal invalid subsequence replaced by U+FFFD (EF BF BD), exactly as the
// WHATWG UTF-8 decoder (and Unicode §3.9 "U+FFFD substitution of maximal subparts") does.
std::string to_valid_utf8(std::string_view bytes);

}  // namespace cgikit
