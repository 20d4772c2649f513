#pragma once
// Request: one parsed HTTP/1.1 request head (RFC 9112 §3, §6), as the parser hands it to handlers.
// Raw fields keep the client's bytes; derived fields (keep_alive, host, path/query split) are
// filled by the parser once the head is complete.
#include <cstdint>
#include <optional>
#include <string>

#include "http/headers.hpp"

namespace cgikit::http {

enum class Method { Get, Head, Post, Put, Delete, Options, Trace, Connect, Patch, Other };

Method method_from_string(std::string_view name) noexcept;

struct Version {
    int major = 1;
    int minor = 1;
    friend bool operator==(const Version&, const Version&) = default;
};

// Where the request arrived and where it came from (for logs, CGI's REMOTE_ADDR, SERVER_PORT).
struct Peer {
    std::string remote_address;  // no brackets for IPv6
    std::uint16_t remote_port = 0;
    std::string local_address;
    std::uint16_t local_port = 0;
};

struct Request {
    std::string method;  // as sent, e.g. "GET"
    Method method_kind = Method::Other;
    std::string target;    // the raw request-target (RFC 9112 §3.2)
    std::string raw_path;  // path part of the target, still percent-encoded ("*" for OPTIONS *)
    std::string query;     // after '?', raw, without the '?'
    bool has_query = false;
    Version version;
    Headers headers;
    std::string host;  // Host header, or the authority of an absolute-form target

    bool keep_alive = true;        // persistent connection per RFC 9112 §9.3
    bool expect_continue = false;  // Expect: 100-continue
    bool chunked = false;          // Transfer-Encoding: chunked
    std::optional<std::uint64_t> content_length;
    bool has_body() const noexcept { return chunked || (content_length && *content_length > 0); }

    Peer peer;
    std::uint64_t id = 0;  // request id for logs (unique per worker process run)

    // Back to the state of a default-constructed Request, keeping the storage of the strings and
    // header fields for the next request of the connection. (Adding a member? Reset it here.)
    void clear() noexcept;
};

}  // namespace cgikit::http
