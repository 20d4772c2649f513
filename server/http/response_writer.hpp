#pragma once
// Serialises a response head (RFC 9112 §4, §6). We always answer as HTTP/1.1 (RFC 9110 §6.2: the
// server's highest minor version), whatever minor version the client spoke.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/response.hpp"

namespace cgikit::http {

struct HeadOptions {
    std::string_view date;          // IMF-fixdate, e.g. from DateCache
    std::string_view server;        // Server header value
    bool keep_alive = true;         // false: "Connection: close"
    bool client_is_http10 = false;  // keep-alive with a 1.0 client must be said explicitly
    // Content-Length to send; nullopt for a chunked or close-delimited body or a status without
    // one.
    std::optional<std::uint64_t> content_length;
    bool chunked = false;  // "Transfer-Encoding: chunked"
};

// The longest reason phrase we send in place of the standard one. A phrase is a note for humans
// that clients are told to ignore (RFC 9112 §4); the longest standard one has 31 bytes, and a
// status line longer than a short line could only carry data that belongs in the body.
inline constexpr std::size_t kMaxReasonPhraseBytes = 128;

// A reason-phrase (RFC 9112 §4: 1*( HTAB / SP / VCHAR / obs-text ), so no control bytes and not
// empty) of at most kMaxReasonPhraseBytes.
bool is_forwardable_reason_phrase(std::string_view phrase) noexcept;

// The status line carries response.reason when is_forwardable_reason_phrase accepts it, else the
// standard phrase of response.status.
void append_response_head(std::string& out, const Response& response, const HeadOptions& options);

// The body length a complete (non-streamed) response carries, ignoring HEAD.
std::uint64_t body_length(const Response& response) noexcept;

}  // namespace cgikit::http
