#pragma once
// Status codes and their reason phrases (RFC 9110 §15).
#include <string_view>

namespace cgikit::http {

// The standard reason phrase, or "Unknown" for a code we do not know.
std::string_view reason_phrase(int status) noexcept;

// 1xx, 204 and 304 responses never carry a body (RFC 9110 §6.4.1).
constexpr bool status_forbids_body(int status) noexcept {
    return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace cgikit::http
