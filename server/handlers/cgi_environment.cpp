#include "handlers/cgi_environment.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>

namespace cgikit::handlers {

namespace {

// The variables in the order they are set: configured ones, then headers, then the server's
// meta-variables. A later one replaces an earlier one of the same name (build_cgi_environment
// keeps the last).
// A vector, not a map: a request sets ~25 of them, and a node per variable was a third of the heap
// allocations of a CGI request.
struct Variable {
    std::string name;
    std::string value;
};
using Variables = std::vector<Variable>;

// Variables the server sets (or deliberately leaves unset: REMOTE_USER, REMOTE_IDENT, which only
// an authenticating server may fill). The config may not set these.
constexpr std::array<std::string_view, 28> kServerVariables = {
    "AUTH_TYPE",       "CONTENT_LENGTH",        "CONTENT_TYPE",    "GATEWAY_INTERFACE",
    "PATH_INFO",       "PATH_TRANSLATED",       "QUERY_STRING",    "REMOTE_ADDR",
    "REMOTE_HOST",     "REMOTE_IDENT",          "REMOTE_USER",     "REQUEST_METHOD",
    "SCRIPT_NAME",     "SERVER_NAME",           "SERVER_PORT",     "SERVER_PROTOCOL",
    "SERVER_SOFTWARE", "REQUEST_URI",           "SCRIPT_FILENAME", "DOCUMENT_ROOT",
    "REMOTE_PORT",     "SERVER_ADDR",           "REQUEST_SCHEME",  "HTTPS",
    "CONTEXT_PREFIX",  "CONTEXT_DOCUMENT_ROOT", "REDIRECT_STATUS", "PATH",
};

// Request headers never passed as HTTP_*:
//   Content-Length, Content-Type: they are CONTENT_LENGTH / CONTENT_TYPE (RFC 3875 §4.1.18);
//   Transfer-Encoding: the body was de-chunked, CONTENT_LENGTH is exact; a script that saw
//     "chunked" might try to de-chunk again;
//   Proxy: HTTP_PROXY would be taken for the proxy setting (httpoxy, CVE-2016-5385);
//   Authorization, Proxy-Authorization: credentials (RFC 3875 §4.1.18), Authorization only on
//     request (CgiSettings::pass_authorization).
constexpr std::array<std::string_view, 5> kWithheldHeaders = {
    "Content-Length", "Content-Type", "Transfer-Encoding", "Proxy", "Proxy-Authorization"};

bool is_alpha(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
char ascii_upper(char c) noexcept {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}
char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// tchar, RFC 9110 §5.6.2.
bool is_token_char(char c) noexcept {
    return is_alpha(c) || is_digit(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool has_nul(std::string_view s) noexcept {
    return s.find('\0') != std::string_view::npos;
}

// SERVER_NAME from the Host header (RFC 3875 §4.1.14): the host without its port, lower-cased;
// an IPv6 literal keeps its brackets, as server-name's grammar there requires. Anything that is
// not a plain host name or IP literal (RFC 3986 §3.2.2 allows more, e.g. "a;b", but no real
// server is called that) is refused, so that the configured name is used instead.
std::optional<std::string> server_name_from_host(std::string_view host) {
    if (host.empty()) return std::nullopt;
    std::string_view name;
    std::string_view rest;
    if (host.front() == '[') {
        std::size_t close = host.find(']');
        if (close == std::string_view::npos || close < 3) return std::nullopt;
        for (char c : host.substr(1, close - 1)) {
            bool hex = is_digit(c) || (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f');
            if (!hex && c != ':' && c != '.') return std::nullopt;
        }
        name = host.substr(0, close + 1);
        rest = host.substr(close + 1);
    } else {
        std::size_t colon = host.find(':');
        name = host.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view() : host.substr(colon);
        if (name.empty()) return std::nullopt;
        for (char c : name) {
            if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_') {
                return std::nullopt;
            }
        }
    }
    if (!rest.empty()) {  // ":" *DIGIT (RFC 3986 §3.2.3)
        if (rest.front() != ':') return std::nullopt;
        for (char c : rest.substr(1)) {
            if (!is_digit(c)) return std::nullopt;
        }
    }
    std::string lowered;
    lowered.reserve(name.size());
    for (char c : name)
        lowered += ascii_lower(c);
    return lowered;
}

// AUTH_TYPE (RFC 3875 §4.1.1): the auth-scheme token of the Authorization header.
std::optional<std::string> auth_scheme(std::string_view authorization) {
    std::string_view scheme = authorization.substr(0, authorization.find(' '));
    if (scheme.empty()) return std::nullopt;
    for (char c : scheme) {
        if (!is_token_char(c)) return std::nullopt;
    }
    return std::string(scheme);
}

std::string strip_brackets(std::string_view address) {
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
        address = address.substr(1, address.size() - 2);
    }
    return std::string(address);
}

std::string protocol_string(const http::Version& version) {
    return "HTTP/" + std::to_string(version.major) + "." + std::to_string(version.minor);
}

void add_configured(Variables& variables, const CgiEnvironmentInput& input) {
    for (const auto& [name, value] : input.settings.set_environment) {
        if (cgi_environment_name_is_configurable(name) && !has_nul(value)) {
            variables.push_back({name, value});
        }
    }
    if (!input.lookup_environment) return;
    for (const auto& name : input.settings.pass_environment) {
        if (!cgi_environment_name_is_configurable(name)) continue;
        std::optional<std::string> value = input.lookup_environment(name);
        if (value && !has_nul(*value)) variables.push_back({name, std::move(*value)});
    }
}

// An absolute-form request-target ("GET http://host/x"), whose authority the parser made the
// request's host.
bool has_absolute_form_target(const http::Request& request) noexcept {
    return !request.target.empty() && request.target.front() != '/' && request.target != "*";
}

// Every header as HTTP_* (RFC 3875 §4.1.18); repeated headers joined in order with ", " (RFC
// 9110 §5.3), Cookie with "; " (RFC 6265 §5.4). With an absolute-form target, HTTP_HOST is the
// target's authority: the server MUST ignore the Host header then (RFC 9112 §3.2.2).
void add_headers(Variables& variables, const CgiEnvironmentInput& input) {
    const std::size_t first_header = variables.size();
    const bool host_from_target = has_absolute_form_target(input.request);
    if (host_from_target && !has_nul(input.request.host)) {
        variables.push_back({"HTTP_HOST", input.request.host});
    }
    for (const auto& field : input.request.headers) {
        if (host_from_target && http::iequals(field.name, "Host")) continue;
        std::string name = cgi_header_variable_name(field.name, input.settings.pass_authorization);
        if (name.empty() || has_nul(field.value)) continue;
        // A linear search: the parser bounds the number of fields, and requests have few.
        auto same =
            std::find_if(variables.begin() + static_cast<std::ptrdiff_t>(first_header),
                         variables.end(), [&](const Variable& v) { return v.name == name; });
        if (same == variables.end()) {
            variables.push_back({std::move(name), std::string(field.value)});
        } else {
            same->value += http::iequals(field.name, "Cookie") ? "; " : ", ";
            same->value += field.value;
        }
    }
}

void add_meta_variables(Variables& variables, const CgiEnvironmentInput& input) {
    const http::Request& request = input.request;
    const CgiScript& script = input.script;
    auto set = [&](std::string_view name, std::string value) {
        if (!has_nul(value)) variables.push_back({std::string(name), std::move(value)});
    };

    // RFC 3875 §4.1.
    if (auto authorization = request.headers.get("Authorization")) {
        if (auto scheme = auth_scheme(*authorization)) set("AUTH_TYPE", std::move(*scheme));
    }
    // A request has a body when Content-Length or chunked frames one (RFC 9112 §6), even an
    // empty one: an empty form POST ("Content-Length: 0") keeps its CONTENT_TYPE, as in Apache
    // and lighttpd. An empty body is never spooled, so it has no body_length.
    if (request.content_length || request.chunked) {
        std::uint64_t length = input.body_length.value_or(request.content_length.value_or(0));
        set("CONTENT_LENGTH", std::to_string(length));
        if (auto type = request.headers.get("Content-Type"))
            set("CONTENT_TYPE", std::string(*type));
    }
    set("GATEWAY_INTERFACE", "CGI/1.1");
    if (!script.path_info.empty()) {
        set("PATH_INFO", script.path_info);
        std::string_view root = input.document_root;
        while (root.ends_with('/'))
            root.remove_suffix(1);
        set("PATH_TRANSLATED", std::string(root) + script.path_info);
    }
    set("QUERY_STRING", request.has_query ? request.query : std::string());
    std::string remote_address = strip_brackets(request.peer.remote_address);
    set("REMOTE_ADDR", remote_address);
    set("REMOTE_HOST", remote_address);
    set("REQUEST_METHOD", request.method);
    set("SCRIPT_NAME", script.script_name);
    set("SERVER_NAME",
        server_name_from_host(request.host).value_or(std::string(input.server_name)));
    set("SERVER_PORT", std::to_string(request.peer.local_port));
    set("SERVER_PROTOCOL", protocol_string(request.version));
    set("SERVER_SOFTWARE", std::string(input.server_software));

    // Extras scripts written for Apache rely on.
    set("REQUEST_URI", request.target);
    set("SCRIPT_FILENAME", script.filename);
    set("DOCUMENT_ROOT", std::string(input.document_root));
    set("REMOTE_PORT", std::to_string(request.peer.remote_port));
    set("SERVER_ADDR", strip_brackets(request.peer.local_address));
    set("REQUEST_SCHEME", input.https ? "https" : "http");
    if (input.https) set("HTTPS", "on");
    set("CONTEXT_PREFIX", script.context_prefix);
    set("CONTEXT_DOCUMENT_ROOT", script.context_document_root);
    // PHP-CGI refuses to run without REDIRECT_STATUS (its force-cgi-redirect check).
    set("REDIRECT_STATUS", std::to_string(input.redirect ? input.redirect->status : 200));
    if (input.redirect) {
        set("REDIRECT_URL", input.redirect->url);
        if (input.redirect->query) set("REDIRECT_QUERY_STRING", *input.redirect->query);
    }
    set("PATH", input.settings.path);
}

}  // namespace

bool cgi_environment_name_is_configurable(std::string_view name) noexcept {
    if (name.empty() || is_digit(name.front())) return false;
    for (char c : name) {
        if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
    }
    if (name.starts_with("HTTP_") || name.starts_with("REDIRECT_")) return false;
    for (std::string_view reserved : kServerVariables) {
        if (name == reserved) return false;
    }
    return true;
}

std::string cgi_header_variable_name(std::string_view header_name, bool pass_authorization) {
    if (header_name.empty()) return {};
    for (char c : header_name) {
        // '_' would let "X_Forwarded_For" impersonate "X-Forwarded-For"; other tchars cannot
        // appear in a portable environment name.
        if (!is_alpha(c) && !is_digit(c) && c != '-') return {};
    }
    for (std::string_view withheld : kWithheldHeaders) {
        if (http::iequals(header_name, withheld)) return {};
    }
    if (!pass_authorization && http::iequals(header_name, "Authorization")) return {};

    std::string name = "HTTP_";
    name.reserve(name.size() + header_name.size());
    for (char c : header_name)
        name += c == '-' ? '_' : ascii_upper(c);
    return name;
}

std::optional<std::string> lookup_process_environment(std::string_view name) {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

std::vector<std::string> build_cgi_environment(const CgiEnvironmentInput& input) {
    Variables variables;
    variables.reserve(input.settings.set_environment.size() +
                      input.settings.pass_environment.size() + input.request.headers.size() +
                      kServerVariables.size() + 2);
    add_configured(variables, input);
    add_headers(variables, input);
    add_meta_variables(variables, input);

    // Sorted by name (a deterministic environment); of equal names the last set wins. The order
    // is computed on indices, by (name, position): a total order, so an unstable sort gives the
    // stable result, and it moves 4-byte indices instead of pairs of strings (the merge sort of
    // the Variables was ~40 % of this function's instructions).
    std::vector<std::uint32_t> order(variables.size());
    for (std::uint32_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        const int by_name = variables[a].name.compare(variables[b].name);
        return by_name != 0 ? by_name < 0 : a < b;
    });
    std::vector<std::string> environment;
    environment.reserve(variables.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        const Variable& v = variables[order[i]];
        if (i + 1 < order.size() && variables[order[i + 1]].name == v.name) continue;
        std::string& entry = environment.emplace_back();
        entry.reserve(v.name.size() + 1 + v.value.size());
        entry.append(v.name).append(1, '=').append(v.value);
    }
    return environment;
}

}  // namespace cgikit::handlers
