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

}  // namespace cgikit::http
