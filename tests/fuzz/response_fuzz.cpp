// Fuzz target for the response writer and the Set-Cookie builder: whatever names and values a
// program passes (NUL-separated pieces of the input, taken in pairs), the CGI head it writes has
// only well-formed lines: "Name: value" CRLF with a token name and no CR, LF or NUL inside, one
// Status line first, and one empty line at the end. Accepted cookies keep the same shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cgikit/response.hpp"

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

bool is_tchar(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void check_head(std::string_view head) {
    require(head.starts_with("Status: "));
    require(head.ends_with("\r\n\r\n"));
    head.remove_suffix(2);
    while (!head.empty()) {
        const std::size_t end = head.find("\r\n");
        require(end != std::string_view::npos);
        const std::string_view line = head.substr(0, end);
        head.remove_prefix(end + 2);
        require(line.find('\r') == std::string_view::npos);
        require(line.find('\n') == std::string_view::npos);
        require(line.find('\0') == std::string_view::npos);
        const std::size_t colon = line.find(": ");
        require(colon != std::string_view::npos && colon > 0);
        for (char c : line.substr(0, colon))
            require(is_tchar(c));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string_view> pieces;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty() && pieces.size() < 64) {
        const std::size_t end = input.find('\0');
        pieces.push_back(input.substr(0, end));
        input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    }
    std::string written;
    cgikit::Response response([&written](std::string_view bytes) {
        written.append(bytes);
        return true;
    });
    for (std::size_t i = 0; i + 1 < pieces.size(); i += 2) {
        const std::string_view name = pieces[i];
        const std::string_view value = pieces[i + 1];
        switch (name.empty() ? 0 : static_cast<unsigned char>(name[0]) % 5) {
            case 0:
                (void)response.set_header(name, value);
                break;
            case 1:
                (void)response.add_header(name, value);
                break;
            case 2: {
                cgikit::SetCookie cookie;
                cookie.name = std::string(name.substr(1));
                cookie.value = std::string(value);
                cookie.path = std::string(value.substr(0, value.size() / 2));
                cookie.secure = value.size() % 2 == 0;
                cookie.same_site = static_cast<cgikit::SameSite>(value.size() % 4);
                std::string formatted;
                if (!cgikit::format_set_cookie(cookie, formatted)) {
                    require(cgikit::is_valid_header_value(formatted));
                    require(!response.set_cookie(cookie));
                }
                break;
            }
            case 3:
                (void)response.redirect(value, 300 + static_cast<int>(value.size() % 10));
                break;
            default:
                (void)response.set_status(static_cast<int>(value.size() * 7 % 700));
                response.write(value);
                break;
        }
    }
    check_head(response.format_head());
    require(response.finish());
    const std::size_t head_end = written.find("\r\n\r\n");
    require(head_end != std::string::npos);
    check_head(std::string_view(written).substr(0, head_end + 4));
    return 0;
}
