#pragma once
// The library's error value. Every failure on the request path (malformed or oversized input, a
// handler that gives up) is a value, never an exception: an std::error_code in the "cgikit"
// category plus a human-readable message for logs. http_status() maps it to the status to answer.
#include <string>
#include <system_error>
#include <utility>

namespace cgikit {

enum class Errc {
    bad_request = 1,         // malformed input (bad multipart syntax, truncated body): 400
    too_large,               // a Limits bound was exceeded: 413 (RFC 9110 §15.5.14)
    unsupported_media_type,  // a body whose Content-Type we cannot parse: 415 (RFC 9110 §15.5.16)
    internal_error,          // the program's own failure (I/O, temp file): 500
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc errc) noexcept;

// 400, 413, 415 or 500 for a cgikit error; 500 for any other non-zero code; 200 for no error.
int http_status(std::error_code code) noexcept;

// An error code and a message saying what was wrong (e.g. which limit, with its value). Falsy when
// there is no error, so `if (auto err = parser.feed(bytes)) return err;` reads naturally.
struct Error {
    std::error_code code;
    std::string message;

    Error() = default;
    Error(Errc errc, std::string why) : code(make_error_code(errc)), message(std::move(why)) {}
    Error(std::error_code ec, std::string why) : code(ec), message(std::move(why)) {}

    explicit operator bool() const noexcept { return static_cast<bool>(code); }
    int http_status() const noexcept { return cgikit::http_status(code); }
};

}  // namespace cgikit

template <>
struct std::is_error_code_enum<cgikit::Errc> : std::true_type {};
