#pragma once
// The environment of a CGI child (RFC 3875 §4.1), built from nothing: the server's own
// environment never leaks, only names listed in CgiSettings::pass_environment are copied.
//
// Precedence, lowest first: set_environment and pass_environment from the config, then the
// request's header variables (HTTP_*), then the meta-variables the server computes. So neither
// the config nor a client can override e.g. SCRIPT_NAME or PATH; and configured names that the
// server owns are ignored (see cgi_environment_name_is_configurable, which the config loader can
// use to reject them at startup). Entries come out sorted by name ("NAME=value"), ready for
// posix_spawn's envp. docs/cgi-server.md lists every variable.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/cgi_script_resolver.hpp"
#include "handlers/cgi_settings.hpp"
#include "http/request.hpp"

namespace cgikit::handlers {

// The original request of an internal redirect (a script's "Location: /local?x", RFC 3875
// §6.2.2); the redirected request itself is described by CgiEnvironmentInput::request.
struct CgiRedirectInfo {
    int status = 200;                  // REDIRECT_STATUS
    std::string url;                   // REDIRECT_URL: the original raw path
    std::optional<std::string> query;  // REDIRECT_QUERY_STRING, when it had one
};

// Reads one variable of the server's own environment (for pass_environment).
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

struct CgiEnvironmentInput {
    // For an internal redirect: a request with method GET, the Location's target/path/query and
    // no body (content_length and chunked cleared); its headers may stay as they were.
    const http::Request& request;
    const CgiScript& script;
    std::string_view document_root;    // DOCUMENT_ROOT and the base of PATH_TRANSLATED
    std::string_view server_name;      // configured name: SERVER_NAME when Host is absent/invalid
    std::string_view server_software;  // "cgikit/<version>"
    bool https = false;                // REQUEST_SCHEME https and HTTPS=on
    const CgiSettings& settings;
    EnvironmentLookup lookup_environment;  // for pass_environment; empty = pass nothing
    // The exact number of body bytes the script can read on stdin (after de-chunking and
    // spooling). CONTENT_LENGTH is set only when the request has a body (RFC 3875 §4.1.2), an
    // empty one ("Content-Length: 0", no spool, no body_length) included.
    std::optional<std::uint64_t> body_length;
    std::optional<CgiRedirectInfo> redirect;
};

std::vector<std::string> build_cgi_environment(const CgiEnvironmentInput& input);

// True when the config may set or pass a variable called `name`: [A-Za-z_][A-Za-z0-9_]*, not
// HTTP_* (reserved for request headers) and not one of the variables the server sets itself.
bool cgi_environment_name_is_configurable(std::string_view name) noexcept;

// The HTTP_* name a request header is passed as, or "" when it is never passed (httpoxy
// "Proxy", Authorization unless allowed, Proxy-Authorization, Content-Length, Content-Type,
// Transfer-Encoding, names with '_' or any byte outside [A-Za-z0-9-]).
std::string cgi_header_variable_name(std::string_view header_name, bool pass_authorization);

// Reads the server's own environment with getenv(3). Safe as long as nobody calls setenv.
std::optional<std::string> lookup_process_environment(std::string_view name);

}  // namespace cgikit::handlers
