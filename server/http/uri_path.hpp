#pragma once
// Request-target paths: percent-decoding plus dot-segment removal (RFC 3986 §2.1, §5.2.4), and the
// reverse encoding for Location headers. Pure functions: the static file handler maps the result
// under its docroot, so every path this accepts must stay inside "/".
#include <string>
#include <string_view>

namespace cgikit::http {

struct DecodedPath {
    int status = 0;    // 0 when ok; otherwise the HTTP status to answer with (400 or 404)
    std::string path;  // absolute, decoded, normalised; empty unless ok()
    bool ok() const noexcept { return status == 0; }
};

// `raw_path` is the path of a request-target (no query), still percent-encoded, e.g. "/a/b%20c/".
// On success the path starts with '/', has no empty, "." or ".." segments and no NUL, and keeps a
// trailing slash ("/a/" stays "/a/", "/a/b/.." becomes "/a/"). Errors, in the order checked:
//   400  not starting with '/', a NUL byte (raw or %00), malformed percent-encoding ("%zz", "%4");
//   400  a ".." (also "%2e%2e") that would climb above the root;
//   404  an encoded slash (%2F) anywhere: it never acts as a separator nor names a file.
// Empty segments are dropped before ".." is applied ("/a//.." is "/"), as a file system would.
// Percent-decoding happens exactly once: "%252e" yields the literal segment "%2e".
DecodedPath decode_and_normalize_path(std::string_view raw_path);

// Percent-encodes every byte outside unreserved / sub-delims / ':' / '@' / '/' (RFC 3986 §3.3), so
// a decoded path can be put back into a Location header (e.g. the 301 to a directory's slash form).
std::string percent_encode_path(std::string_view path);

}  // namespace cgikit::http
