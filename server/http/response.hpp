#pragma once
// Response: what a handler returns. The connection serialises the head and sends the body; a
// handler never writes to a socket.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "http/headers.hpp"
#include "net/shared_fd.hpp"

namespace cgikit::http {

// A byte range of an open file, sent with sendfile(2). The descriptor may be shared with the open
// file cache of the static handler.
struct FileBody {
    net::SharedFd fd;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

// A body produced while it is sent (CGI output): the connection pulls it from its source. With a
// known length it is sent with Content-Length, else chunked (HTTP/1.1) or close-delimited (1.0).
struct StreamBody {
    std::optional<std::uint64_t> length;
};

struct Response {
    int status = 200;
    // The reason phrase to send instead of the standard one (a CGI script's, RFC 3875 §6.3.3); the
    // writer sends it only if is_forwardable_reason_phrase accepts it. Empty: the standard phrase.
    std::string reason;
    Headers headers;  // Date, Server, Content-Length and Connection are added by the writer
    std::variant<std::monostate, std::string, FileBody, StreamBody> body;
    bool close_connection = false;  // close after sending (e.g. after a 400)

    // Back to the state of a default-constructed Response, keeping the storage of the reason, the
    // header fields and of a text body for the next response (a Response reused from one request to
    // the next stops allocating). A text body is left empty rather than dropped: an empty text body
    // and no body are sent alike.
    void clear() noexcept {
        status = 200;
        reason.clear();
        headers.clear();
        if (auto* text = std::get_if<std::string>(&body)) {
            text->clear();
        } else {
            body = std::monostate{};
        }
        close_connection = false;
    }
    // The body as text, reusing the storage of a text body it already has.
    std::string& text_body() {
        if (auto* text = std::get_if<std::string>(&body)) return *text;
        return body.emplace<std::string>();
    }
};

}  // namespace cgikit::http
