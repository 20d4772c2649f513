#include "cgikit/cookie.hpp"

namespace cgikit {
namespace {

std::string_view trim_spaces(std::string_view text) noexcept {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_cookie_header(std::string_view header) {
    std::vector<std::pair<std::string, std::string>> cookies;
    while (!header.empty()) {
        const std::size_t end = header.find(';');
        const std::string_view piece = header.substr(0, end);
        header.remove_prefix(end == std::string_view::npos ? header.size() : end + 1);

        const std::size_t equals = piece.find('=');
        if (equals == std::string_view::npos) continue;  // no '=': not a cookie-pair
        const std::string_view name = trim_spaces(piece.substr(0, equals));
        if (name.empty()) continue;  // cookie-name is a non-empty token (RFC 6265 §4.1.1)
        std::string_view value = trim_spaces(piece.substr(equals + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value =
                value.substr(1, value.size() - 2);  // cookie-value = DQUOTE *cookie-octet DQUOTE
        }
        cookies.emplace_back(name, value);
    }
    return cookies;
}

}  // namespace cgikit
