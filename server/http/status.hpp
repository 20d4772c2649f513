#pragma once
// Status codes and their reason phrases (RFC 9110 §15).
#include <optional>
#include <string_view>

namespace cgikit::http {

// The standard reason phrase, or "Unknown" for a code we do not know.
std::string_view reason_phrase(int status) noexcept;

// The status code of a status line that starts `line` ("HTTP/1.1 404 ...", RFC 9112 §4), or
// nullopt if `line` does not start with one. For logging what an NPH script answered.
std::optional<int> status_line_code(std::string_view line) noexcept;

// 1xx, 204 and 304 responses never carry a body (RFC 9110 §6.4.1): they end with their header
// section (RFC 9112 §6.3), so they are sent without Content-Length.
constexpr bool status_forbids_body(int status) noexcept {
    return (status >= 100 && status < 200) || status == 204 || status == 304;
}

// Those, and 205, whose content must be empty too (RFC 9110 §15.3.6) but whose framing is not
// implied: a 205 says Content-Length: 0.
constexpr bool status_forbids_content(int status) noexcept {
    return status_forbids_body(status) || status == 205;
}

}  // namespace cgikit::http
