#include "cgikit/cookie.hpp"

#include "http_syntax.hpp"

namespace cgikit {

std::vector<std::pair<std::string, std::string>> parse_cookie_header(std::string_view header) {
    std::vector<std::pair<std::string, std::string>> cookies;
    while (!header.empty()) {
        const std::size_t end = header.find(';');
        const std::string_view piece = header.substr(0, end);
        header.remove_prefix(end == std::string_view::npos ? header.size() : end + 1);

        const std::size_t equals = piece.find('=');
        if (equals == std::string_view::npos) continue;  // no '=': not a cookie-pair
        const std::string_view name = syntax::trim_ows(piece.substr(0, equals));
        if (name.empty()) continue;  // cookie-name is a non-empty token (RFC 6265 §4.1.1)
        std::string_view value = syntax::trim_ows(piece.substr(equals + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value =
                value.substr(1, value.size() - 2);  // cookie-value = DQUOTE *cookie-octet DQUOTE
        }
        cookies.emplace_back(name, value);
    }
    return cookies;
}

}  // namespace cgikit
