#pragma once
// Static files (RFC 9110): GET/HEAD of regular files under the document root, index files for
// directories, conditional requests (§13), single byte ranges (§14), HEAD. A function of the
// request and the file system as seen through the worker's OpenFileCache (at most about a second
// old, see open_file_cache.hpp): it never touches a socket.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/mime_types.hpp"
#include "handlers/open_file_cache.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace cgikit::handlers {

// What serving static files needs; one per worker thread (the cache is not synchronised).
struct StaticContext {
    int root_fd = -1;  // the document root, opened O_PATH | O_DIRECTORY
    const std::vector<std::string>* index_files = nullptr;
    const MimeTypes* mime = nullptr;
    // Recently served files (see open_file_cache.hpp). Mutable: a cache does not change what a
    // request gets beyond the staleness bound it documents.
    mutable OpenFileCache file_cache;
    // Where the handler reports a failure of the server rather than of the request (out of
    // descriptors or memory: answered 503). Empty: not reported.
    std::function<void(const http::Request&, std::string_view message)> log_error;
};

// The methods a static resource supports, for Allow headers.
inline constexpr const char* kStaticAllow = "GET, HEAD, OPTIONS";

// `decoded_path` is the request path after decode_and_normalize_path (absolute, no dot segments).
// Fills `response`, replacing what it held but reusing its storage (see http::Response::clear):
// served into a Response kept from one request to the next, a cached file costs no allocation.
void serve_static(const http::Request& request, const std::string& decoded_path,
                  const StaticContext& context, http::Response& response);
// The same into a new Response.
http::Response serve_static(const http::Request& request, const std::string& decoded_path,
                            const StaticContext& context);

// Opens `relative` (no leading '/') read-only beneath `root_fd`, never resolving outside it
// (symlinks included). Returns the fd or -errno (-EXDEV / -ELOOP when it would leave the root).
int open_beneath(int root_fd, const std::string& relative, int flags);

}  // namespace cgikit::handlers
