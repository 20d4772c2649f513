#pragma once
// Serialises a response head (RFC 9112 §4, §6). We always answer as HTTP/1.1 (RFC 9110 §6.2: the
// server's highest minor version), whatever minor version the client spoke.
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

void append_response_head(std::string& out, const Response& response, const HeadOptions& options);

// The body length a complete (non-streamed) response carries, ignoring HEAD.
std::uint64_t body_length(const Response& response) noexcept;

}  // namespace cgikit::http
