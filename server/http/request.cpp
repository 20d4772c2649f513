#include "http/request.hpp"

namespace cgikit::http {

Method method_from_string(std::string_view name) noexcept {
    // Methods are case-sensitive (RFC 9110 §9.1).
    if (name == "GET") return Method::Get;
    if (name == "HEAD") return Method::Head;
    if (name == "POST") return Method::Post;
    if (name == "PUT") return Method::Put;
    if (name == "DELETE") return Method::Delete;
    if (name == "OPTIONS") return Method::Options;
    if (name == "TRACE") return Method::Trace;
    if (name == "CONNECT") return Method::Connect;
    if (name == "PATCH") return Method::Patch;
    return Method::Other;
}

void Request::clear() noexcept {
    method.clear();
    method_kind = Method::Other;
    target.clear();
    raw_path.clear();
    query.clear();
    has_query = false;
    version = Version{};
    headers.clear();
    host.clear();
    keep_alive = true;
    expect_continue = false;
    chunked = false;
    content_length.reset();
    peer.remote_address.clear();
    peer.remote_port = 0;
    peer.local_address.clear();
    peer.local_port = 0;
    id = 0;
}

}  // namespace cgikit::http
