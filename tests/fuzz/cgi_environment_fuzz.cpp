// build_cgi_environment on arbitrary request heads: every entry is NAME=value with NAME in
// [A-Za-z0-9_] (config names may be lower case; request-derived ones are [A-Z0-9_]), no NUL
// anywhere, each name once, and never HTTP_PROXY, HTTP_AUTHORIZATION (not enabled here),
// HTTP_PROXY_AUTHORIZATION, HTTP_CONTENT_LENGTH or HTTP_CONTENT_TYPE.
//
// Input: the first byte sets flags (pass_authorization, chunked, https, HTTP version); the rest is
// split at '\n' into lines: the first three are Host ("@host": an absolute-form target with that
// authority), the query and the remote address, the others "name:value" header fields (a line
// without ':' is a name with an empty value).
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/cgi_environment.hpp"

using cgikit::handlers::build_cgi_environment;
using cgikit::handlers::CgiEnvironmentInput;
using cgikit::handlers::CgiScript;
using cgikit::handlers::CgiSettings;

namespace {

bool is_name_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t flags = data[0];
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::vector<std::string_view> lines;
    while (!rest.empty()) {
        std::size_t newline = rest.find('\n');
        lines.push_back(rest.substr(0, newline));
        if (newline == std::string_view::npos) break;
        rest.remove_prefix(newline + 1);
    }
    auto line = [&](std::size_t i) { return i < lines.size() ? lines[i] : std::string_view(); };

    cgikit::http::Request request;
    request.method = "POST";
    request.target = "/cgi-bin/x";
    request.raw_path = "/cgi-bin/x";
    request.host = std::string(line(0));
    if (request.host.starts_with('@')) {  // an absolute-form target: HTTP_HOST from its authority
        request.host.erase(0, 1);
        request.target = "http://" + request.host + "/cgi-bin/x";
    }
    request.query = std::string(line(1));
    request.has_query = !request.query.empty();
    request.peer.remote_address = std::string(line(2));
    request.peer.local_address = "127.0.0.1";
    request.version = {1, (flags & 8) ? 1 : 0};
    request.chunked = (flags & 2) != 0;
    if (!request.chunked) request.content_length = flags >> 4;
    for (std::size_t i = 3; i < lines.size(); ++i) {
        std::size_t colon = lines[i].find(':');
        std::string_view name = lines[i].substr(0, colon);
        std::string_view value =
            colon == std::string_view::npos ? std::string_view() : lines[i].substr(colon + 1);
        request.headers.add(std::string(name), std::string(value));
    }

    CgiScript script;
    script.filename = "/srv/cgi/x";
    script.script_name = "/cgi-bin/x";
    script.path_info = std::string(line(1));
    CgiSettings settings;
    settings.pass_authorization = false;
    settings.set_environment = {{std::string(line(3)), std::string(line(4))}};
    settings.pass_environment = {std::string(line(5))};
    bool pass_secret = (flags & 1) != 0;

    CgiEnvironmentInput input{
        .request = request,
        .script = script,
        .document_root = "/srv/www",
        .server_name = "localhost",
        .server_software = "cgikit/fuzz",
        .https = (flags & 4) != 0,
        .settings = settings,
        .lookup_environment = [&](std::string_view) -> std::optional<std::string> {
            if (!pass_secret) return std::nullopt;
            return std::string(line(6));
        },
        .body_length = flags >> 4,
        .redirect = std::nullopt,
    };
    std::set<std::string, std::less<>> names;
    for (const std::string& entry : build_cgi_environment(input)) {
        if (entry.find('\0') != std::string::npos) std::abort();
        std::size_t equals = entry.find('=');
        if (equals == std::string::npos || equals == 0) std::abort();
        std::string_view name(entry.data(), equals);
        for (char c : name) {
            if (!is_name_char(c)) std::abort();
        }
        if (name.starts_with("HTTP_")) {
            for (char c : name) {
                if (c >= 'a' && c <= 'z') std::abort();
            }
        }
        if (name == "HTTP_PROXY" || name == "HTTP_AUTHORIZATION" ||
            name == "HTTP_PROXY_AUTHORIZATION" || name == "HTTP_CONTENT_LENGTH" ||
            name == "HTTP_CONTENT_TYPE" || name == "HTTP_TRANSFER_ENCODING") {
            std::abort();
        }
        if (!names.insert(std::string(name)).second) std::abort();
    }
    for (std::string_view required : {"GATEWAY_INTERFACE", "SERVER_NAME", "SERVER_PROTOCOL",
                                      "REQUEST_METHOD", "SCRIPT_NAME", "PATH"}) {
        if (!names.contains(required)) std::abort();
    }
    // A value that cannot be represented (NUL) drops its variable; otherwise it is there.
    if (line(1).find('\0') == std::string_view::npos && !names.contains("QUERY_STRING")) {
        std::abort();
    }
    if (line(2).find('\0') == std::string_view::npos && !names.contains("REMOTE_ADDR")) {
        std::abort();
    }
    return 0;
}
