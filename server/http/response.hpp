#pragma once
// Response: what a handler returns. The connection serialises the head and sends the body; a
// handler never writes to a socket.
#include <cstdint>
#include <string>
#include <variant>

#include "http/headers.hpp"
#include "net/unique_fd.hpp"

namespace cgikit::http {

// A byte range of an open file, sent with sendfile(2).
struct FileBody {
    net::unique_fd fd;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct Response {
    int status = 200;
    Headers headers;  // Date, Server, Content-Length and Connection are added by the writer
    std::variant<std::monostate, std::string, FileBody> body;
    bool close_connection = false;  // close after sending (e.g. after a 400)
};

}  // namespace cgikit::http
